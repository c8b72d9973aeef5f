"""A small todo app (index.html, styles.css, app.js) and helpers shared by the preview tests."""

from previews.services import deployment_prepare, deployment_publish

TODO_APP = {
    "index.html": (
        '<!doctype html>\n<html><head><meta charset="utf-8"><title>Todos</title>'
        '<link rel="stylesheet" href="styles.css"></head>\n'
        '<body><h1>Todos</h1><form id="add"><input name="title"><button>Add</button></form>'
        '<ul id="list"></ul><script src="app.js"></script></body></html>\n'
    ),
    "styles.css": "body { font-family: sans-serif; }\n#list li.done { text-decoration: line-through; }\n",
    "app.js": (
        "const list = document.getElementById('list');\n"
        "document.getElementById('add').addEventListener('submit', (event) => {\n"
        "  event.preventDefault();\n"
        "  const item = document.createElement('li');\n"
        "  item.textContent = event.target.title.value;\n"
        "  list.append(item);\n"
        "});\n"
    ),
    "about/index.html": "<!doctype html><p>About</p>\n",
}


def preview_host(deployment) -> str:
    return f"{deployment.id}.preview.localhost"


def publish(agent_id, files: dict[str, str] | None = None):
    """Publish `files` (the todo app by default) as a deployment of `agent_id`, through the leaf API alone."""
    files = TODO_APP if files is None else files
    deployment, reused = deployment_prepare(agent_id=agent_id, files=files)
    return deployment if reused else deployment_publish(deployment=deployment, files=files)
