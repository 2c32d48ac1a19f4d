"""Issue 19, class 9: the preview server is a good local citizen (no browser needed)."""

from __future__ import annotations

import http.client

import pytest

from briefing.preview.server import PreviewServer, State


@pytest.fixture
def server(tmp_path):
    (tmp_path / "index.html").write_text("<html><body>hello</body></html>")
    (tmp_path / "a.txt").write_text("A")
    srv = PreviewServer(tmp_path, State())
    srv.start()
    yield srv
    srv.stop()


def request(srv, method: str, path: str, host: str | None = "default"):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.putrequest(method, path, skip_host=True)
    if host == "default":
        host = f"127.0.0.1:{srv.port}"
    if host is not None:
        conn.putheader("Host", host)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}", "localhost:1",
                                  "attacker.test:80", None])
def test_a_request_for_another_host_is_refused_dns_rebinding(server, host):
    if host is not None:
        host = host.format(port=server.port)
    for path in ("/", "/__preview__/state"):
        status, body = request(server, "GET", path, host)
        assert status == 421 and b"hello" not in body and b"generation" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}"])
def test_the_preview_answers_its_own_host(server, host):
    status, body = request(server, "GET", "/", host.format(port=server.port))
    assert status == 200 and b"hello" in body


@pytest.mark.parametrize("path", ["/%00", "/a%00b", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd", "/%ff%fe"])
def test_odd_paths_are_not_found_never_a_traceback(server, path, capfd):
    status, body = request(server, "GET", path)
    assert status in (400, 404)
    assert "Traceback" not in capfd.readouterr().err


def test_head_answers_like_get_without_a_body(server):
    status, body = request(server, "HEAD", "/a.txt")
    assert status == 200 and body == b""
    status, _ = request(server, "HEAD", "/missing")
    assert status == 404


@pytest.mark.parametrize("name", ["a.qmd.swp", ".a.qmd.swo", "a.qmd~", ".#a.qmd", "#a.qmd#", "4913", "a.qmd.tmp",
                                  "a.py___jb_tmp___", ".goutputstream-XYZ12", "a.qmd.crswap", ".~lock.a.csv#"])
def test_an_editor_s_scratch_files_are_not_changes(name):
    from briefing.preview.session import editor_scratch

    assert editor_scratch(name)


@pytest.mark.parametrize("name", ["a.qmd", "claims.csv", "model.py", "_quarto.yml", "references.bib"])
def test_real_sources_are_changes(name):
    from briefing.preview.session import editor_scratch

    assert not editor_scratch(name)


def test_a_module_saved_with_a_syntax_error_is_one_line_and_the_preview_keeps_running(tmp_path):
    from briefing.preview.session import syntax_errors

    (tmp_path / "code").mkdir()
    (tmp_path / "code/ok.py").write_text("x = 1\n")
    (tmp_path / "code/bad.py").write_text("x = 1\ndef f(:\n    pass\n")
    assert syntax_errors(tmp_path, ["code/ok.py"]) is None
    assert syntax_errors(tmp_path, ["code/ok.py", "code/bad.py"]).startswith("code/bad.py:2: syntax error")


def test_the_server_follows_a_new_output_folder(server, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("<html><body>moved</body></html>")
    server.folder = other
    status, body = request(server, "GET", "/")
    assert status == 200 and b"moved" in body


def test_stale_kernel_folders_of_dead_processes_are_swept(tmp_path):
    import os
    import subprocess
    import sys

    from briefing.render.kernel import sweep_stale

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    for name in (f"briefing-kernel-{dead}-abc", f"briefing-warm-{dead}-def", f"briefing-kernel-{os.getpid()}-live",
                 "briefing-kernel-xyz", "other-1-x"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kernel.json").write_text('{"key": "secret"}')
    assert sorted(sweep_stale(tmp_path)) == [f"briefing-kernel-{dead}-abc", f"briefing-warm-{dead}-def"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"briefing-kernel-{os.getpid()}-live", "briefing-kernel-xyz", "other-1-x"])
