"""The heredoc parser reads files out of streamed model output (docs/architecture.md §10). No database needed."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.parsing import HeredocParser, UnsafePath, parse_files, validate_path


class Recorder:
    """Collects every callback, in order, and the files the parser closed."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.chunks: dict[str, list[str]] = {}
        self.files: dict[str, str] = {}
        self.errors: list[tuple[str, str | None]] = []
        self.parser = HeredocParser(
            on_open=self.on_open, on_chunk=self.on_chunk, on_close=self.on_close, on_error=self.on_error
        )

    def on_open(self, path: str) -> None:
        self.events.append(("open", path))
        self.chunks[path] = []

    def on_chunk(self, path: str, text: str) -> None:
        self.events.append(("chunk", path, text))
        self.chunks[path].append(text)

    def on_close(self, path: str, content: str) -> None:
        self.events.append(("close", path))
        self.files[path] = content

    def on_error(self, message: str, path: str | None) -> None:
        self.events.append(("error", path))
        self.errors.append((message, path))

    def streamed(self, path: str) -> str:
        return "".join(self.chunks[path])


def feed_in_chunks(text: str, cuts: list[int]) -> Recorder:
    recorder = Recorder()
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        recorder.parser.feed(text[start:cut])
        start = cut
    recorder.parser.finish()
    return recorder


def feed_whole(text: str) -> Recorder:
    return feed_in_chunks(text, [])


# --- the format and its common slips -------------------------------------------------------------------


def test_content_is_the_lines_between_opening_and_delimiter_with_final_newline():
    files = parse_files("cat > src/app.js << 'EOF'\nconst a = 1;\n\nexport { a };\nEOF\n")

    assert files == {"src/app.js": "const a = 1;\n\nexport { a };\n"}


def test_explanations_around_heredocs_are_ignored():
    text = (
        "I'll create two files.\n"
        "cat > a.txt << 'EOF'\nA\nEOF\n"
        "Then the second one, note cat is fine << here.\n"
        "cat > b.txt << 'EOF'\nB\nEOF\n"
        "Done!"
    )

    assert parse_files(text) == {"a.txt": "A\n", "b.txt": "B\n"}


def test_heredoc_with_no_lines_is_an_empty_file():
    assert parse_files("cat > empty.txt << 'EOF'\nEOF\n") == {"empty.txt": ""}


@pytest.mark.parametrize(
    "opening",
    [
        "cat > a.js << 'EOF'",
        "cat > a.js <<'EOF'",
        'cat > a.js << "EOF"',
        'cat > a.js <<"EOF"',
        "cat > a.js << EOF",
        "cat > a.js <<EOF",
        "cat > a.js <<-EOF",
        "cat >a.js<<'EOF'",
        "  cat > a.js << 'EOF'  ",
    ],
)
def test_delimiter_is_accepted_quoted_or_unquoted(opening):
    assert parse_files(f"{opening}\nx = 1\nEOF\n") == {"a.js": "x = 1\n"}


@pytest.mark.parametrize("delimiter", ["FILE_END", "EOF_APP", "END", "eof2"])
def test_any_delimiter_word_ends_its_own_block(delimiter):
    text = f"cat > a.js << '{delimiter}'\nEOF\nbody\n{delimiter}\n"

    assert parse_files(text) == {"a.js": "EOF\nbody\n"}


@pytest.mark.parametrize(
    ("opening", "path"),
    [
        ("cat > \"src/a b.js\" << 'EOF'", "src/a b.js"),
        ("cat > 'src/a b.js' << 'EOF'", "src/a b.js"),
        ('cat > "src/app.js" << EOF', "src/app.js"),
    ],
)
def test_quoted_path_is_unquoted(opening, path):
    assert parse_files(f"{opening}\nx\nEOF\n") == {path: "x\n"}


def test_append_redirect_is_read_as_writing_the_whole_file():
    assert parse_files("cat >> log.txt << 'EOF'\nline\nEOF\n") == {"log.txt": "line\n"}


def test_redirect_after_the_heredoc_marker_is_accepted():
    assert parse_files("cat << 'EOF' > src/a.js\nx\nEOF\n") == {"src/a.js": "x\n"}


def test_mkdir_before_cat_on_the_same_line_is_accepted():
    assert parse_files("mkdir -p src && cat > src/a.js << 'EOF'\nx\nEOF\n") == {"src/a.js": "x\n"}


def test_markdown_fences_outside_heredocs_are_ignored():
    text = "Here you go:\n```bash\ncat > a.sh << 'EOF'\necho hi\nEOF\n```\n```\nnothing\n```\n"

    assert parse_files(text) == {"a.sh": "echo hi\n"}


def test_code_fence_wrapping_the_file_content_is_stripped():
    text = "cat > a.js << 'EOF'\n```javascript\nconst a = 1;\n```\nEOF\n"

    assert parse_files(text) == {"a.js": "const a = 1;\n"}


def test_wrapping_fence_is_stripped_even_when_the_file_has_its_own_fences():
    text = "cat > README.md << 'EOF'\n```markdown\n# App\n```sh\nnpm start\n```\n```\nEOF\n"

    assert parse_files(text) == {"README.md": "# App\n```sh\nnpm start\n```\n"}


def test_stray_fence_just_before_the_delimiter_is_stripped():
    assert parse_files("cat > a.js << 'EOF'\nx\n```\nEOF\n") == {"a.js": "x\n"}


def test_fence_closing_a_code_block_at_the_end_of_the_file_is_kept():
    text = "cat > README.md << 'EOF'\n# Run\n```sh\nnpm start\n```\nEOF\n"

    assert parse_files(text) == {"README.md": "# Run\n```sh\nnpm start\n```\n"}


def test_fences_in_the_middle_of_a_file_are_content():
    text = "cat > doc.md << 'EOF'\nintro\n```\ncode\n```python\nmore\nEOF\n"

    assert parse_files(text) == {"doc.md": "intro\n```\ncode\n```python\nmore\n"}


def test_trailing_spaces_after_the_delimiter_still_close_the_file():
    assert parse_files("cat > a.js << 'EOF'\nx\nEOF  \t\ncat > b.js << 'EOF'\ny\nEOF \n") == {
        "a.js": "x\n",
        "b.js": "y\n",
    }


@pytest.mark.parametrize("line", ["EOFX", "XEOF", " EOF", "\tEOF", "EOF;", "EOF EOF", "EO", "eof", "'EOF'"])
def test_lines_that_only_resemble_the_delimiter_are_content(line):
    assert parse_files(f"cat > a.txt << 'EOF'\n{line}\nEOF\n") == {"a.txt": f"{line}\n"}


def test_delimiter_followed_by_hundreds_of_spaces_is_content_in_any_chunking():
    line = "EOF" + " " * 300
    text = f"cat > a.txt << 'EOF'\n{line}\nEOF\n"

    assert feed_whole(text).files == feed_in_chunks(text, list(range(0, len(text), 7))).files == {"a.txt": f"{line}\n"}


def test_dash_heredoc_accepts_a_tab_indented_delimiter():
    assert parse_files("cat > a.txt <<-EOF\n\tkept\n\t\tEOF\n") == {"a.txt": "\tkept\n"}


def test_delimiter_without_final_newline_closes_the_file_at_end_of_stream():
    assert parse_files("cat > a.js << 'EOF'\nx\nEOF") == {"a.js": "x\n"}


def test_crlf_line_endings_become_lf():
    text = "cat > a.js << 'EOF'\r\nline 1\r\nline 2\r\nEOF\r\n"

    assert parse_files(text) == {"a.js": "line 1\nline 2\n"}


def test_crlf_split_between_chunks_becomes_lf():
    text = "cat > a.js << 'EOF'\r\nline 1\r\nEOF\r\n"
    cuts = [i + 1 for i, ch in enumerate(text) if ch == "\r"]

    assert feed_in_chunks(text, cuts).files == {"a.js": "line 1\n"}


def test_lone_carriage_return_inside_a_line_is_content():
    assert parse_files("cat > a.txt << 'EOF'\na\rb\nEOF\n") == {"a.txt": "a\rb\n"}


def test_later_block_for_the_same_path_wins():
    text = "cat > a.js << 'EOF'\nold\nEOF\ncat > ./a.js << 'EOF'\nnew\nEOF\n"

    assert parse_files(text) == {"a.js": "new\n"}


def test_parse_files_reports_errors_to_the_given_callback():
    errors = []

    parse_files("cat > /etc/passwd << 'EOF'\nx\nEOF\n", on_error=lambda message, path: errors.append(path))

    assert errors == ["/etc/passwd"]


# --- callbacks and streaming --------------------------------------------------------------------------


def test_callbacks_are_optional():
    parser = HeredocParser()
    parser.feed("cat > a.js << 'EOF'\nx\nEOF\ncat > /abs << 'EOF'\nEOF\n")
    parser.finish()


def test_open_chunk_close_are_reported_in_order_with_the_normalised_path():
    recorder = feed_whole("cat > ./src//a.js << 'EOF'\nx\nEOF\n")

    assert recorder.events == [("open", "src/a.js"), ("chunk", "src/a.js", "x\n"), ("close", "src/a.js")]


def test_complete_lines_are_streamed_before_the_file_closes():
    recorder = Recorder()

    recorder.parser.feed("cat > a.js << 'EOF'\nconst a = 1;\nconst b")

    assert recorder.streamed("a.js") == "const a = 1;\nconst b"
    assert recorder.files == {}


def test_rest_of_a_line_already_judged_content_is_streamed_at_once():
    recorder = Recorder()
    recorder.parser.feed("cat > a.js << 'EOF'\nconst")

    recorder.parser.feed(" b = 2")

    assert recorder.streamed("a.js") == "const b = 2"


def test_partial_line_that_may_be_the_delimiter_is_held_back():
    recorder = Recorder()
    recorder.parser.feed("cat > a.js << 'EOF'\nx\nEO")
    assert recorder.streamed("a.js") == "x\n"

    recorder.parser.feed("Fs\nEOF\n")

    assert recorder.streamed("a.js") == "x\nEOFs\n"
    assert recorder.files == {"a.js": "x\nEOFs\n"}


def test_fence_line_is_held_back_until_the_next_line_shows_it_is_content():
    recorder = Recorder()
    recorder.parser.feed("cat > a.md << 'EOF'\nintro\n```\n")
    assert recorder.streamed("a.md") == "intro\n"

    recorder.parser.feed("code\n")

    assert recorder.streamed("a.md") == "intro\n```\ncode\n"


def test_streamed_chunks_concatenate_to_the_closed_content():
    text = "cat > a.md << 'EOF'\n```md\n# T\n```\nEOFX\n```\nEOF\n"

    recorder = feed_in_chunks(text, list(range(len(text))))

    assert recorder.streamed("a.md") == recorder.files["a.md"] == "# T\n```\nEOFX\n"


def test_unterminated_file_is_reported_as_an_error_and_not_closed():
    recorder = feed_whole("cat > a.js << 'EOF'\nx\ncat > b.js << 'EOF'\ny\n")

    assert recorder.files == {}
    assert [path for _, path in recorder.errors] == ["a.js"]
    assert "unterminated" in recorder.errors[0][0]


def test_parser_starts_afresh_after_finish():
    recorder = Recorder()
    recorder.parser.feed("cat > a.js << 'EOF'\nx\n")
    recorder.parser.finish()

    recorder.parser.feed("cat > b.js << 'EOF'\ny\nEOF\n")
    recorder.parser.finish()

    assert recorder.files == {"b.js": "y\n"}


# --- unsafe paths -------------------------------------------------------------------------------------

UNSAFE_PATHS = [
    ("/etc/passwd", "absolute"),
    ("../secrets.txt", ".."),
    ("src/../../x.js", ".."),
    ("a\x00b.js", "NUL"),
    ("..\\..\\x.js", "backslash"),
    ("src\\a.js", "backslash"),
    ("~/x.js", "~"),
    ("C:/x.js", "absolute"),
    ("a" * 256, "255"),
    ("a\x07b.js", "control"),
    ("a\x1bb.js", "control"),
    ("a\u202eb.js", "control"),
    ("src/", "directory"),
    (".", "no file"),
    ("", "empty"),
]


@pytest.mark.parametrize(("path", "reason"), UNSAFE_PATHS)
def test_validate_path_refuses_unsafe_paths_saying_why(path, reason):
    with pytest.raises(UnsafePath, match=re.escape(reason)):
        validate_path(path)


def test_unsafe_path_is_a_value_error():
    assert issubclass(UnsafePath, ValueError)


@pytest.mark.parametrize(
    ("path", "normalised"),
    [
        ("./a.js", "a.js"),
        ("src//a.js", "src/a.js"),
        ("src/./a.js", "src/a.js"),
        ("a" * 255, "a" * 255),
        ("src/...js", "src/...js"),
        ("dir with space/ü.js", "dir with space/ü.js"),
    ],
)
def test_validate_path_normalises_safe_paths(path, normalised):
    assert validate_path(path) == normalised


@pytest.mark.parametrize("path", [path for path, _ in UNSAFE_PATHS if path])
def test_unsafe_path_is_refused_and_the_stream_continues(path):
    text = f"cat > \"{path}\" << 'EOF'\nevil\nEOF\ncat > ok.js << 'EOF'\nfine\nEOF\n"

    recorder = feed_whole(text)

    assert recorder.files == {"ok.js": "fine\n"}
    assert [err_path for _, err_path in recorder.errors] == [path]
    assert repr(path) in recorder.errors[0][0]
    assert ("open", "ok.js") in recorder.events
    assert all(event[0] != "chunk" or event[1] == "ok.js" for event in recorder.events)


def test_empty_quoted_path_is_refused_and_the_stream_continues():
    recorder = feed_whole("cat > \"\" << 'EOF'\nx\nEOF\ncat > ok.js << 'EOF'\nfine\nEOF\n")

    assert recorder.files == {"ok.js": "fine\n"}
    assert "empty" in recorder.errors[0][0]


def test_skipped_block_ends_at_its_own_delimiter():
    text = "cat > /x << 'END'\nEOF\ncat > inner.js << 'EOF'\nEOF\nEND\ncat > ok.js << 'EOF'\nfine\nEOF\n"

    assert parse_files(text) == {"ok.js": "fine\n"}


# --- any chunking gives the same files ----------------------------------------------------------------

FENCE = re.compile(r"[ \t]*```[^`]*")
TRICKY_LINES = [
    "EOF",
    "EOFX",
    "XEOF",
    " EOF",
    "EOF ",
    "\tEOF",
    "EOF EOF",
    "EO",
    "E",
    "",
    "FILE_END_",
    "EOF_APP",
    "```",
    "```js",
    "  ```",
    "``",
    "````",
    "cat > x.js << 'EOF'",
    "\u2028",
    "\x85",
]
DELIMITERS = ["EOF", "FILE_END", "EOF_APP"]
PROSE_LINES = ["Here is the app:", "", "```bash", "```", "Now the styles.", "EOF", "x << y", "cat > notes"]

segments = st.text(alphabet=string.ascii_letters + string.digits + "_-. ", min_size=1, max_size=10).filter(
    lambda segment: segment.strip(".") != ""
)
paths = st.lists(segments, min_size=1, max_size=3).map("/".join)
any_line = st.one_of(
    st.sampled_from(TRICKY_LINES),
    st.text(st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=20),
)


@st.composite
def files_as_written(draw):
    """Files with their delimiter and whether the model wrapped them in a code fence."""
    written = []
    for path in draw(st.lists(paths, max_size=5, unique=True)):
        delimiter = draw(st.sampled_from(DELIMITERS))
        lines = draw(
            st.lists(any_line.filter(lambda line, d=delimiter: line.rstrip(" \t") != d), max_size=8).filter(
                lambda ls: not ls or not (FENCE.fullmatch(ls[0]) or FENCE.fullmatch(ls[-1]))
            )
        )
        written.append((path, delimiter, lines, draw(st.booleans()), draw(st.integers(0, 3))))
    return written


def render(written, draw, newline: str) -> str:
    out = []
    for path, delimiter, lines, wrapped, form in written:
        out.extend(draw(st.lists(st.sampled_from(PROSE_LINES), max_size=2)))
        quoted = f'"{path}"' if " " in path or form % 2 else path
        out.append(
            [
                f"cat > {quoted} << '{delimiter}'",
                f'cat > {quoted} <<"{delimiter}"',
                f"cat >> {quoted} <<{delimiter}",
                f"cat << '{delimiter}' > {quoted}",
            ][form]
        )
        out.extend(["```js", *lines, "```"] if wrapped else lines)
        out.append(delimiter)
    return "".join(line + newline for line in out)


@settings(max_examples=300, deadline=None)
@given(written=files_as_written(), newline=st.sampled_from(["\n", "\r\n"]), data=st.data())
def test_any_split_into_chunks_yields_the_original_files(written, newline, data):
    text = render(written, data.draw, newline)
    originals = {path: "".join(line + "\n" for line in lines) for path, _, lines, _, _ in written}
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=40))

    whole = feed_whole(text)
    chunked = feed_in_chunks(text, cuts)

    assert whole.files == originals
    assert chunked.files == originals
    assert chunked.errors == []
    assert {path: chunked.streamed(path) for path in chunked.files} == originals


# --- edit blocks, appends, diffs and Markdown blocks ---------------------------------------------------


class EditRecorder(Recorder):
    """Also records edits, appends and patches."""

    def __init__(self, **options) -> None:
        super().__init__()
        self.edits: list[tuple[str, str, str]] = []
        self.appends: list[tuple[str, str]] = []
        self.patches: list[str] = []
        self.parser = HeredocParser(
            on_open=self.on_open,
            on_chunk=self.on_chunk,
            on_close=self.on_close,
            on_error=self.on_error,
            on_edit=lambda *edit: self.edits.append(edit),
            on_append=lambda *a: self.appends.append(a),
            on_patch=self.patches.append,
            **options,
        )


def feed_edits(text: str, cuts: list[int] = (), **options) -> EditRecorder:
    recorder = EditRecorder(**options)
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        recorder.parser.feed(text[start:cut])
        start = cut
    recorder.parser.finish()
    return recorder


EDIT = "<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


@pytest.mark.parametrize("file_line", ["app.js", "**app.js**", "`app.js`", "### app.js", "app.js:", "File: app.js"])
def test_an_edit_block_after_a_file_line_is_reported_with_its_path(file_line):
    text = f"I'll change the greeting.\n{file_line}\n" + EDIT.format(search="hi\n", replace="hello\n")

    recorder = feed_edits(text)

    assert recorder.edits == [("app.js", "hi\n", "hello\n")]
    assert recorder.files == {}


def test_aider_style_fenced_edit_blocks_and_blocks_without_their_own_file_line():
    text = (
        "app.js\n```javascript\n" + EDIT.format(search="a\n", replace="b\n") + "```\n"
        "```css\nstyles.css\n"
        + EDIT.format(search="", replace="p {}\n")
        + EDIT.format(search="x\n", replace="")
        + "```\n"
    )

    assert feed_edits(text).edits == [("app.js", "a\n", "b\n"), ("styles.css", "", "p {}\n"), ("styles.css", "x\n", "")]


def test_an_edit_block_without_any_file_name_is_an_error_and_skipped():
    recorder = feed_edits("Change this:\n" + EDIT.format(search="a\n", replace="b\n"))

    assert recorder.edits == []
    assert "without a file name" in recorder.errors[0][0]


def test_an_edit_block_for_an_unsafe_path_is_refused():
    recorder = feed_edits("src/../../passwd.txt\n" + EDIT.format(search="a\n", replace="b\n"))

    assert recorder.edits == []
    assert recorder.errors[0][1] == "src/../../passwd.txt"


def test_append_heredoc_is_reported_as_an_append_not_a_file():
    recorder = feed_edits("cat >> styles.css << 'EOF'\n.new {}\nEOF\n")

    assert recorder.appends == [("styles.css", ".new {}\n")]
    assert recorder.files == {} and recorder.events == []


def test_a_fenced_unified_diff_is_reported_whole():
    diff = "--- a/app.js\n+++ b/app.js\n@@ -1,1 +1,1 @@\n-a\n+b\n"
    recorder = feed_edits(f"Here is the change:\n```diff\n{diff}```\nDone.")

    assert recorder.patches == [diff]


@pytest.mark.parametrize(
    "file_line,fence",
    [
        ("**index.html**", "```html"),
        ("### index.html", "```html"),
        ("`index.html`", "```"),
        ("Here it is:", '```html title="index.html"'),
        ("index.html:", "````html"),
    ],
)
def test_a_markdown_block_after_a_file_line_is_a_file_when_no_heredoc_was_seen(file_line, fence):
    ticks = fence[: len(fence) - len(fence.lstrip("`"))]
    text = f"{file_line}\n{fence}\n<!doctype html>\n<p>```not the end```</p>\n{ticks}\nThat's it."

    assert feed_edits(text).files == {"index.html": "<!doctype html>\n<p>```not the end```</p>\n"}


def test_markdown_blocks_are_examples_once_the_answer_used_heredocs():
    text = "cat > a.js << 'EOF'\nx\nEOF\n**b.js**\n```js\ny\n```\n"

    assert feed_edits(text).files == {"a.js": "x\n"}


def test_markdown_fallback_can_be_turned_off():
    assert feed_edits("**b.js**\n```js\ny\n```\n", markdown_files=False).files == {}


def test_a_heredoc_inside_a_fence_after_a_file_line_is_read_as_the_heredoc():
    text = "**a.js**\n```bash\ncat > a.js << 'EOF'\nx\nEOF\n```\n"

    assert feed_edits(text).files == {"a.js": "x\n"}


MARKER_LINES = ["<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE", "```", "```js", "app.js", "**a.css**"]
block_line = st.one_of(any_line, st.sampled_from(MARKER_LINES))
FILE_LINES = ["{path}", "**{path}**", "`{path}`", "### {path}", "{path}:"]
edit_paths = st.sampled_from(["app.js", "styles.css", "src/ui/list.js", "index.html"])


@st.composite
def answers_with_edits(draw):
    """An answer mixing heredocs and edit blocks, with what each edit block means."""
    lines: list[str] = []
    edits: list[tuple[str, str, str]] = []
    previous: str | None = None
    for _ in range(draw(st.integers(1, 5))):
        lines.extend(draw(st.lists(st.sampled_from(PROSE_LINES), max_size=2)))
        if draw(st.integers(0, 3)) == 0:
            body = draw(st.lists(any_line.filter(lambda line: line.rstrip(" \t") != "EOF"), max_size=3))
            lines += ["cat > notes.txt << 'EOF'", *body, "EOF"]
            continue
        path = draw(edit_paths)
        search = draw(st.lists(block_line.filter(lambda line: not re.match(r"\s*={5,9}\s*$", line)), max_size=4))
        replace = draw(
            st.lists(block_line.filter(lambda line: not re.match(r"\s*>{5,9}\s*REPLACE\s*$", line)), max_size=4)
        )
        if previous is not None and lines and lines[-1] == ">>>>>>> REPLACE" and draw(st.booleans()):
            path = previous  # a block right after another, with no file line of its own
        else:
            lines.append(draw(st.sampled_from(FILE_LINES)).format(path=path))
        fenced = draw(st.booleans())
        if fenced:
            lines.append("```js")
        lines += ["<<<<<<< SEARCH", *search, "=======", *replace, ">>>>>>> REPLACE"]
        if fenced:
            lines.append("```")
        edits.append((path, "".join(f"{line}\n" for line in search), "".join(f"{line}\n" for line in replace)))
        previous = path
    return "".join(f"{line}\n" for line in lines), edits


@settings(max_examples=300, deadline=None)
@given(answer=answers_with_edits(), data=st.data())
def test_any_split_into_chunks_yields_the_same_edit_blocks(answer, data):
    text, edits = answer
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=40))

    whole = feed_edits(text)
    chunked = feed_edits(text, cuts)

    assert whole.edits == edits
    assert chunked.edits == edits
    assert chunked.files == whole.files
    assert chunked.errors == whole.errors == []
