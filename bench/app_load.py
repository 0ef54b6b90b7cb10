"""The app under load: 8 clients sending digit photos to the real server, through its plain HTTP API and Gradio's.

    python bench/app_load.py [--requests 2000] [--clients 8]

Starts `mnist_nb serve` on a free port of 127.0.0.1 (the shipped model), waits until it answers, and measures, with
client threads in this process (keep-alive connections, one per client):
- `--requests` POSTs to `/v1/predict` from `--clients` clients at once, each the bytes of a photo of an MNIST test digit
  (`photograph`: JPEG, a few hundred pixels a side): answers per second, latency p50 and p99, errors (any answer but
  HTTP 200), wrong digits, and the server's memory (VmRSS) after each tenth of the requests;
- the same with phone photos (`phone_photo`, 4032 × 3024 JPEG, 12 megapixels), a tenth as many requests;
- the same photos through Gradio's own protocol (`gradio_client`, `/predict`), a tenth as many requests: the reference;
- how long `GET /config` takes while a 50-megapixel PNG is being read, against the same request on an idle server.
Then stops the server with Ctrl-C, as a person would. Writes bench/app_load.json and the README's table of it.
"""
import argparse, http.client, json, os, re, signal, socket, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path

from results import machine, write_section

RESULTS = Path(__file__).resolve().parent / "app_load.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple:
    "`mnist_nb serve` on a free port of 127.0.0.1: the process and its port, once it says it answers."
    port = free_port()
    server = subprocess.Popen(["mnist_nb", "serve", "--port", str(port)], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while "mnist_nb app:" not in (line := server.stdout.readline()):
        if (not line and server.poll() is not None) or time.monotonic() > deadline:
            raise RuntimeError("mnist_nb serve did not start")
    return server, port


def rss_mb(pid: int) -> float:
    "The resident memory of process `pid`, in MB."
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())[1]) / 1024


def post(connection: http.client.HTTPConnection, path: str, body: bytes) -> tuple:
    "POST `body` to `path` on a kept-alive `connection`: (status, JSON answer, seconds)."
    start = time.perf_counter()
    connection.request("POST", path, body, {"Content-Type": "application/octet-stream"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    return response.status, answer, time.perf_counter() - start


def load(port: int, pid: int, photos: list, requests: int, clients: int) -> dict:
    "`requests` POSTs of `photos` ((bytes, label) each) to /v1/predict from `clients` threads at once."
    latencies, statuses, wrong, memory, lock, issued = [], [], [0], [rss_mb(pid)], threading.Lock(), [0]
    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if issued[0] >= requests: break
                k = issued[0]; issued[0] += 1
            body, label = photos[k % len(photos)]
            status, answer, seconds = post(connection, "/v1/predict", body)
            with lock:
                latencies.append(seconds); statuses.append(status)
                wrong[0] += status == 200 and answer["digit"] != label
                if len(latencies) % max(1, requests // 10) == 0: memory.append(rss_mb(pid))
        connection.close()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    seconds = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    return {"requests": requests, "clients": clients, "answers_per_second": round(len(latencies) / seconds, 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1), "p99_ms": round(1000 * q[98], 1),
            "errors": sum(s != 200 for s in statuses), "wrong_digits": wrong[0],
            "memory_mb": [round(m) for m in memory], "memory_growth_mb": round(memory[-1] - memory[1], 1)}


def gradio_load(port: int, paths: list, requests: int, clients: int) -> dict:
    "The same, through Gradio's own protocol and client (`/predict`)."
    from gradio_client import Client, handle_file
    latencies, errors, lock, issued = [], [0], threading.Lock(), [0]
    def client():
        gradio = Client(f"http://127.0.0.1:{port}/", verbose=False)
        while True:
            with lock:
                if issued[0] >= requests: break
                k = issued[0]; issued[0] += 1
            start = time.perf_counter()
            try: gradio.predict(handle_file(str(paths[k % len(paths)])), api_name="/predict")
            except Exception: errors[0] += 1
            with lock: latencies.append(time.perf_counter() - start)
    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    seconds = time.perf_counter() - start
    return {"requests": requests, "clients": clients, "answers_per_second": round(len(latencies) / seconds, 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * statistics.quantiles(latencies, n=100)[98], 1), "errors": errors[0]}


def stall(port: int, big: bytes) -> dict:
    "How long GET /config takes on an idle server, and while `big` (a photo) is read by /v1/predict."
    def config_ms() -> float:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start = time.perf_counter()
        connection.request("GET", "/config"); connection.getresponse().read()
        return 1000 * (time.perf_counter() - start)
    idle = statistics.median(config_ms() for _ in range(5))
    reading = threading.Thread(target=lambda: post(http.client.HTTPConnection("127.0.0.1", port, timeout=120),
                                                   "/v1/predict", big))
    start = time.perf_counter(); reading.start(); time.sleep(0.05)
    during = config_ms()
    reading.join()
    return {"idle_ms": round(idle, 1), "during_ms": round(during, 1),
            "photo_seconds": round(time.perf_counter() - start, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests to /v1/predict (default: 2000)")
    parser.add_argument("--clients", type=int, default=8, help="clients at once (default: 8)")
    args = parser.parse_args()
    import numpy as np
    from mnist_nb.data import load_mnist
    from mnist_nb.images import phone_photo, photograph
    _, (x_test, y_test) = load_mnist()
    rng, folder = np.random.default_rng(0), Path(tempfile.mkdtemp())
    paths, photos, phones = [], [], []
    for i in range(50):
        paths.append(folder / f"{i}.jpg")
        photograph(x_test[i], rng).convert("RGB").save(paths[-1])
        photos.append((paths[-1].read_bytes(), int(y_test[i])))
    for i in range(50, 55):
        phone = folder / f"phone{i}.jpg"
        phone_photo(x_test[i], rng, (3024, 4032), pen=int(rng.integers(2, 21))).save(phone, quality=90)
        phones.append((phone.read_bytes(), int(y_test[i])))
    big = folder / "big.png"
    phone_photo(x_test[55], rng, (6120, 8160), pen=8, noise=0).save(big)  # clean paper: a small file, read whole
    server, port = start_server()
    try:
        results = {"command": "python bench/app_load.py", "machine": machine()}
        load(port, server.pid, photos, 16 * args.clients, args.clients)  # warm: every worker, every connection
        results["photos"] = load(port, server.pid, photos, args.requests, args.clients)
        print("photos", results["photos"], flush=True)
        results["phone_photos"] = load(port, server.pid, phones, max(args.clients, args.requests // 10), args.clients)
        print("phone photos", results["phone_photos"], flush=True)
        results["gradio_protocol"] = gradio_load(port, paths, max(args.clients, args.requests // 10), args.clients)
        print("gradio", results["gradio_protocol"], flush=True)
        results["stall"] = stall(port, big.read_bytes())
        print("stall", results["stall"], flush=True)
    finally:
        server.send_signal(signal.SIGINT)
        results["exit_code"] = server.wait(timeout=60)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_section("load", table(results))
    print(table(results))


def table(r: dict) -> str:
    "The README's table of the load benchmark."
    m = r["machine"]
    rows = [("`/v1/predict`, photos of a few hundred pixels", r["photos"]),
            ("`/v1/predict`, 12-megapixel phone photos", r["phone_photos"]),
            ("Gradio's protocol (`gradio_client`, `/predict`), the same photos", r["gradio_protocol"])]
    lines = [f"Measured by `{r['command']}` ({m['date']}, {m['cores']} CPU cores, {m['cpu']}; the clients run on the "
             f"same cores as the server): {r['photos']['clients']} clients at once, the shipped model.", "",
             "| requests | answers/s | p50 | p99 | errors | memory, start → end |", "|---|---|---|---|---|---|"]
    for name, x in rows:
        memory = f"{x['memory_mb'][1]} → {x['memory_mb'][-1]} MB" if "memory_mb" in x else ""
        lines.append(f"| {name}: {x['requests']:,} | {x['answers_per_second']:.0f} | {x['p50_ms']:.0f} ms | "
                     f"{x['p99_ms']:.0f} ms | {x['errors']} | {memory} |")
    s = r["stall"]
    lines += ["", f"While one 50-megapixel PNG is read ({s['photo_seconds']:.1f} s), `GET /config` takes "
              f"{s['during_ms']:.0f} ms ({s['idle_ms']:.0f} ms on an idle server)."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
