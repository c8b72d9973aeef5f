"""URL-path → file-path mapping and path safety: pure, no database."""

import pytest

from previews.paths import clean_file_path, file_path_for_url


@pytest.mark.parametrize(
    ("url_path", "expected"),
    [
        ("/", "index.html"),
        ("/app.js", "app.js"),
        ("/about/", "about/index.html"),
        ("/css/site.css", "css/site.css"),
    ],
)
def test_url_paths_map_to_files_with_index_for_folders(url_path, expected):
    assert file_path_for_url(url_path) == expected


@pytest.mark.parametrize(
    "url_path",
    [
        "/../",
        "/..",
        "/../config/settings.py",
        "/a/../../etc/passwd",
        "/./index.html",
        "//etc/passwd",
        "/a//b.js",
        "/index.html\x00.js",
        "/..\\config\\settings.py",
        "/sub\\..\\index.html",
        "relative.html",
        "",
        "/" + "a" * 256,
    ],
)
def test_unsafe_url_paths_name_no_file(url_path):
    assert file_path_for_url(url_path) is None


@pytest.mark.parametrize("path", ["/abs.js", "../up.js", "a/./b.js", "tab\there.js", "", "x\x7f.js"])
def test_unsafe_stored_paths_are_refused(path):
    assert clean_file_path(path) is None
