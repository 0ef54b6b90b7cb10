"""The app, for real: `mnist_nb serve` in a subprocess on a free 127.0.0.1 port, driven by headless Chromium through
Playwright (Debian's `chromium`, which .ci/run installs; Playwright's own browser download needs the internet), and
called through Gradio's own Python client."""
import io, os, re, shutil, signal, socket, subprocess, time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("gradio", reason="the app's extra is not installed: pip install -e '.[test]'")
from gradio_client import Client, handle_file
from playwright.sync_api import expect, sync_playwright

from mnist_nb.images import render_on_canvas

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = os.environ.get("MNIST_NB_SCREENSHOTS")  # a folder to keep the screenshots in (the docs' app.png)


def free_port() -> int:
    "A TCP port on 127.0.0.1 that nothing listens on."
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    "The real `mnist_nb serve` on a free port: its URL, once it answers; stopped with Ctrl-C afterwards."
    port = free_port()
    process = subprocess.Popen(["mnist_nb", "serve", "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        line, deadline = "", time.monotonic() + 240
        while "mnist_nb app:" not in line:
            line = process.stdout.readline()
            assert line or process.poll() is None, f"mnist_nb serve exited with {process.returncode}"
            assert time.monotonic() < deadline, "mnist_nb serve did not start within 4 minutes"
        url = re.search(r"http://\S+", line).group(0)
        assert url == f"http://127.0.0.1:{port}/", line   # this machine only, unless told otherwise
        yield url
    finally:
        process.send_signal(signal.SIGINT)                    # Ctrl-C: the server closes and the command ends well
        try: assert process.wait(timeout=30) == 0
        except subprocess.TimeoutExpired: process.kill(); process.wait(); raise


@pytest.fixture(scope="module")
def browser():
    "Headless Chromium, from Debian's package."
    if CHROMIUM is None:
        if os.environ.get("CI"): pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("no chromium here (apt-get install chromium); CI installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    "A fresh page of the app, loaded, with its drawing pad ready."
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(server)
    expect(page.locator("#pad canvas").first).to_be_visible(timeout=60_000)
    yield page
    page.close()


@pytest.fixture(scope="module")
def photos(tmp_path_factory, mnist):
    "Photos of the first eight MNIST test digits (dark ink on light paper), a number, and a text file named .png."
    folder = tmp_path_factory.mktemp("photos")
    for i in range(8): render_on_canvas(mnist["x_test"][i], (240, 320), 5).save(folder / f"digit{i}.png")
    from mnist_nb.images import compose_number
    row = 255 - np.pad(compose_number(mnist["x_test"][:4], [0.3, 0.25, 0.35], np.random.default_rng(0)), 20)
    Image.fromarray(row).resize((row.shape[1] * 4, row.shape[0] * 4), Image.BICUBIC).save(folder / "number.png")
    touching = 255 - np.pad(compose_number(mnist["x_test"][4:8], [-0.1, -0.1, -0.1], np.random.default_rng(0)), 20)
    Image.fromarray(touching).resize((touching.shape[1] * 4, touching.shape[0] * 4), Image.BICUBIC).save(
        folder / "touching.png")
    (folder / "note.png").write_text("this is a text file, not an image\n")
    huge_png(folder / "huge.png")
    return folder


def huge_png(path: Path, side: int = 100_000) -> None:
    "A small PNG file whose header claims `side`×`side` pixels (a decompression bomb's calling card)."
    import struct, zlib
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    png = bytearray(buffer.getvalue())
    png[16:24] = struct.pack(">II", side, side)                   # IHDR's width and height
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))  # and its checksum
    path.write_bytes(bytes(png))


def answer_of(page) -> str:
    "The answer the page shows (its heading), once there is one."
    heading = page.locator("#answer h2")
    expect(heading).to_be_visible(timeout=30_000)
    return heading.inner_text().strip()


def draw(page, strokes: list) -> None:
    "Draw `strokes` on the pad: each a list of (x, y) points as fractions of the pad's visible canvas."
    canvas = page.locator("#pad canvas").first
    box = canvas.bounding_box()
    side = min(box["width"], box["height"])                  # the square drawing area, centred in the canvas
    left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
    for stroke in strokes:
        page.mouse.move(left + stroke[0][0] * side, top + stroke[0][1] * side)
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for t in np.linspace(0, 1, 12)[1:]:
                page.mouse.move(left + (x0 + t * (x1 - x0)) * side, top + (y0 + t * (y1 - y0)) * side)
        page.mouse.up()


def upload(page, path: Path) -> None:
    "Upload `path` in the app's photo box."
    page.get_by_role("tab", name="Upload or webcam").click()
    page.locator("#photo input[type=file]").set_input_files(str(path))


SEVEN = [[(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]]
ZERO = [[(0.5 + 0.18 * np.sin(a), 0.5 - 0.28 * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 25)]]


LETTER_A = [[(0.3, 0.8), (0.5, 0.2), (0.7, 0.8)], [(0.38, 0.58), (0.62, 0.58)]]


def test_a_letter_drawn_on_the_pad_is_said_to_be_no_digit(page):
    draw(page, LETTER_A)
    assert answer_of(page) == "not a digit"
    expect(page.locator("#answer")).to_contain_text("the best guess would be")


@pytest.mark.parametrize("digit, strokes", [("7", SEVEN), ("0", ZERO)])
def test_drawing_on_the_pad_is_read_at_once(page, digit, strokes, tmp_path):
    draw(page, strokes)                                       # no tool to pick first: the brush is ready
    assert answer_of(page) == digit
    expect(page.locator("#seen img")).to_be_visible()         # the 28×28 image the model saw is shown
    expect(page.locator("#bars")).to_contain_text(digit)
    shot = Path(SCREENSHOTS or tmp_path) / ("app.png" if digit == "7" else f"app_{digit}.png")
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000


def test_an_uploaded_photo_is_read(page, photos, mnist):
    upload(page, photos / "digit1.png")
    assert answer_of(page) == str(mnist["y_test"][1])


def test_a_non_image_gets_a_clear_message_and_the_server_keeps_serving(page, photos, mnist):
    upload(page, photos / "note.png")
    expect(page.get_by_text("note.png: not an image we can read").first).to_be_visible(timeout=30_000)
    upload(page, photos / "huge.png")
    expect(page.get_by_text("huge.png: not an image we can read (expected at most").first).to_be_visible(timeout=30_000)
    upload(page, photos / "digit2.png")                       # the same page, the same server, still answering
    assert answer_of(page) == str(mnist["y_test"][2])


def test_a_whole_number_is_read_with_a_box_per_digit(page, photos, mnist, tmp_path):
    page.locator("#whole input").check()
    upload(page, photos / "number.png")
    expected = "".join(map(str, mnist["y_test"][:4]))
    expect(page.locator("#answer h2")).to_have_text(expected, timeout=30_000)
    expect(page.locator("#boxes")).to_contain_text(f"{expected[0]} (")   # each box is labelled with its digit
    shot = Path(SCREENSHOTS or tmp_path) / "app_number.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000


def test_a_number_whose_digits_touch_is_read_whole(page, photos, mnist, tmp_path):
    "Four digits that touch, one piece of ink: the row reader reads them, a box each."
    from scipy import ndimage
    from mnist_nb.images import compose_number
    strip = compose_number(mnist["x_test"][4:8], [-0.1, -0.1, -0.1], np.random.default_rng(0))   # as the photo's
    assert ndimage.label(strip > 30, structure=np.ones((3, 3)))[1] == 1    # they do touch: one piece of ink
    page.locator("#whole input").check()
    upload(page, photos / "touching.png")
    expected = "".join(map(str, mnist["y_test"][4:8]))
    expect(page.locator("#answer h2")).to_have_text(expected, timeout=30_000)
    expect(page.locator("#boxes")).to_contain_text(f"{expected[-1]} (")
    shot = Path(SCREENSHOTS or tmp_path) / "app_touching.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.fixture(scope="module")
def client(server):
    return Client(server, verbose=False)


def test_the_http_api_gives_the_same_answers_as_predict(client, photos):
    from mnist_nb import predict, read_number
    files = sorted(photos.glob("digit*.png"))
    answers = [client.predict(handle_file(str(f)), api_name="/predict") for f in files]
    expected = predict(files)
    assert [a["digit"] for a in answers] == [p.digit for p in expected]
    np.testing.assert_allclose([a["probability"] for a in answers], [p.probability for p in expected], atol=1e-5)
    number = client.predict(handle_file(str(photos / "number.png")), api_name="/read_number")
    local = read_number(photos / "number.png")
    assert (number["text"], [d["box"] for d in number["digits"]]) == (local.text, [list(b) for b in local.boxes])


def test_the_http_api_refuses_a_non_image_and_a_file_over_the_limit(client, photos, tmp_path):
    with pytest.raises(Exception, match="note.png: not an image"):
        client.predict(handle_file(str(photos / "note.png")), api_name="/predict")
    with pytest.raises(Exception, match="huge.png: too large an image"):
        client.predict(handle_file(str(photos / "huge.png")), api_name="/read_number")
    big = tmp_path / "big.png"
    big.write_bytes(os.urandom(11 * 2**20))                   # over the 10 MB upload limit
    with pytest.raises(Exception, match="(?i)size|large|exceed"):
        client.predict(handle_file(str(big)), api_name="/predict")
    assert client.predict(handle_file(str(photos / "digit0.png")), api_name="/predict")["digit"] >= 0


def post(url: str, path: str, body: bytes = b"", headers: dict | None = None, chunked: bool = False) -> tuple:
    "POST `body` to `path` of the server at `url` (`chunked`: in chunks, its length unsaid): (HTTP status, JSON)."
    import http.client, json
    from urllib.parse import urlparse
    where = urlparse(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
    if chunked: connection.request("POST", path, iter([body]), headers or {}, encode_chunked=True)
    else: connection.request("POST", path, body, headers or {})
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    return response.status, answer


def test_the_plain_api_answers_as_predict_does(server, photos):
    "POST an image file's bytes to /v1/predict or /v1/read_number: one request, the answer as predict gives it."
    from mnist_nb import predict, read_number
    files = sorted(photos.glob("digit*.png"))
    answers = [post(server, "/v1/predict?top_k=2", f.read_bytes()) for f in files]
    expected = predict(files, top_k=2)
    assert [status for status, _ in answers] == [200] * len(files)
    assert [a["digit"] for _, a in answers] == [p.digit for p in expected]
    assert [[d for d, _ in a["top"]] for _, a in answers] == [[d for d, _ in p.top] for p in expected]
    assert [(a["not_a_digit"], a["set"][0]) for _, a in answers] == [(False, p.digit) for p in expected]
    np.testing.assert_allclose([a["probability"] for _, a in answers], [p.probability for p in expected], atol=1e-5)
    status, number = post(server, "/v1/read_number", (photos / "number.png").read_bytes())
    local = read_number(photos / "number.png")
    assert status == 200 and (number["text"], [d["box"] for d in number["digits"]]) == (local.text,
                                                                                       [list(b) for b in local.boxes])


def test_the_server_refuses_what_it_cannot_bound_and_keeps_answering(server, photos):
    "A claimed 200 MB body: 413 before it is sent; no length: 411; an unknown API name: 404; not an image: 400."
    import http.client
    from urllib.parse import urlparse
    where = urlparse(server)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    connection.putrequest("POST", "/gradio_api/queue/join")       # headers only: the body is never sent
    connection.putheader("Content-Type", "application/json"); connection.putheader("Content-Length", str(200 * 2**20))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    chunked = post(server, "/v1/predict", (photos / "digit0.png").read_bytes(), chunked=True)
    assert chunked[0] == 411 and "without Content-Length" in chunked[1]["error"]
    for path in ("/gradio_api/call/nope", "/gradio_api/run/nope", "/gradio_api/call/v2/nope"):
        status, answer = post(server, path, b'{"data": []}', {"Content-Type": "application/json"})
        assert status == 404 and answer["error"].startswith("no API named 'nope' (expected one of "), (path, answer)
    assert post(server, "/v1/predict", b"a shopping list") == (400, {"error": "image: not an image (expected PNG, "
                                                                     "JPEG, BMP or another format Pillow reads)"})
    assert post(server, "/v1/predict", (photos / "digit0.png").read_bytes())[0] == 200


@pytest.fixture(scope="module")
def turned(tmp_path_factory, mnist):
    "A photo of a 6 stored in all eight EXIF orientations."
    from test_limits import oriented
    six = mnist["y_test"].tolist().index(6)
    photo = render_on_canvas(mnist["x_test"][six], (320, 260), 7, (0.4, 0.5), "RGB")
    return oriented(photo, tmp_path_factory.mktemp("turned"), "six")


def test_every_exif_orientation_is_read_upright_by_the_app(server, client, page, turned):
    "Stored upside down or sideways, a photo of a 6 is a 6 through the plain API, Gradio's API and the page."
    assert [post(server, "/v1/predict", f.read_bytes())[1]["digit"] for f in turned] == [6] * 8
    assert [client.predict(handle_file(str(f)), api_name="/predict")["digit"] for f in turned[2:8:3]] == [6, 6]
    upload(page, turned[2])                                   # Orientation 3: upside down, once read as a 9
    assert answer_of(page) == "6"


def test_a_small_photo_is_not_held_up_by_a_huge_one(server, photos, mnist, tmp_path):
    "A 50-megapixel PNG is being read when a small photo arrives: the small one is answered first (two workers)."
    import threading
    huge = tmp_path / "huge.png"   # clean paper: a small file (an upload), which no decoder can read smaller
    render_on_canvas(mnist["x_test"][5], (6120, 8160), 150, (0.4, 0.4)).save(huge)
    finished = []
    slow = threading.Thread(target=lambda: finished.append(("huge", post(server, "/v1/predict", huge.read_bytes()))))
    slow.start()
    time.sleep(0.05)                                          # it is sent, and being decoded
    finished.append(("small", post(server, "/v1/predict", (photos / "digit0.png").read_bytes())))
    slow.join()
    assert [name for name, _ in finished] == ["small", "huge"], finished
    assert [answer[0] for _, answer in finished] == [200, 200]


def test_uploads_are_deleted_from_the_cache(tmp_path, monkeypatch, photos):
    "An upload stays in Gradio's cache for the app's upload lifetime (here 2 s), then it is deleted."
    from fastapi.testclient import TestClient
    from mnist_nb.app import server_app
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "cache"))
    with TestClient(server_app(upload_lifetime=2)) as app:
        with open(photos / "digit0.png", "rb") as f: uploaded = app.post("/gradio_api/upload", files={"files": f})
        path = Path(uploaded.json()[0])
        assert path.is_file() and (tmp_path / "cache") in path.parents
        deadline = time.monotonic() + 30
        while path.exists() and time.monotonic() < deadline: time.sleep(0.5)
        assert not path.exists()
