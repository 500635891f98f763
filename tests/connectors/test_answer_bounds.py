"""Every answer within bounds: a deadline for the whole request, a cap on the size of a body.

A publisher trickling a byte every few seconds never trips a per-read timeout; the deadline
cuts the request off whatever it is waiting for (status line, headers or body) and the attempt
is retried like a timeout. A body over the cap stops being read as soon as it passes the cap; the
bytes read, like every body that fails validation, go to `rejected/`, never into the archive.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug import Response

from sources.archive import Archive, FetchSet
from sources.connectors.base import FetchContext, InvalidBody
from sources.fetch import fetch_dataset, make_client
from sources.http import CHUNK, BodyTooLarge, FetchError, PoliteClient, deadline_session

CONTACT = "tests@datacymru.example"


# --- a publisher that trickles ------------------------------------------------------------------

class TrickleServer:
    """A raw HTTP server in a thread: per connection, `head` at once, then `trickle` a byte at a time.

    Later connections get `then` whole, if given. Each byte waits `interval` seconds, well inside
    the client's per-read timeout, so only a deadline on the whole request stops it.
    """

    def __init__(self, head: bytes, trickle: bytes, interval: float, then: bytes | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.head, self.trickle, self.interval, self.then = head, trickle, interval, then
        self.tls, self.connections = tls, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn, self.connections), daemon=True).start()

    def _answer(self, conn: socket.socket, number: int) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                return
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            try:
                if number > 1 and self.then is not None:
                    conn.sendall(self.then)
                    return
                conn.sendall(self.head)
                for byte in self.trickle:
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the client hung up: what the deadline is for

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


BODY = b"A,B\r\n" + b"1,2\r\n" * 8  # 45 bytes: about 4.5 s at a byte per 0.1 s
HEAD = (f"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: {len(BODY)}\r\n"
        "Connection: close\r\n\r\n").encode()
WHOLE = HEAD + BODY
TRICKLES = {
    "body": (HEAD, BODY),
    "body without Content-Length": (b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n\r\n",
                                    BODY),
    "headers": (b"HTTP/1.1 200 OK\r\n", HEAD[len(b"HTTP/1.1 200 OK\r\n"):] + BODY),
}


def trickling(kind: str, then: bytes | None = None) -> TrickleServer:
    head, trickle = TRICKLES[kind]
    return TrickleServer(head, trickle, interval=0.1, then=then)


def fast_client(url: str, tmp_path: Path, sleeps, **options) -> PoliteClient:
    options = {"sleep": sleeps, "backoff_base": 0.01, "timeout": (2.0, 2.0), "rate_limit": (10_000, 1.0),
               "tmp_dir": tmp_path, **options}
    return PoliteClient("nomis", url, CONTACT, **options)


@pytest.mark.parametrize("kind", list(TRICKLES))
def test_a_trickling_answer_is_cut_off_at_the_deadline(kind, tmp_path: Path, sleeps):
    server = trickling(kind)
    client = fast_client(server.url, tmp_path, sleeps, deadline=0.5, max_attempts=2)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as info:
            client.download("a.csv")
    finally:
        server.close()
    elapsed = time.monotonic() - started
    message = str(info.value)
    assert f"{server.url}/a.csv" in message
    assert "gave up after 2 attempts: no complete answer within the deadline of 0.5 s" in message
    assert server.connections == 2 and len(sleeps.calls) == 1  # retried like a timeout
    assert elapsed < 3.0  # two attempts of 0.5 s, not two trickles of 4.5 s
    assert list(tmp_path.iterdir()) == []  # no partial body left behind


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the certificate a client must trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


@pytest.mark.parametrize("kind", ["headers", "body"])
def test_a_trickling_https_answer_is_cut_off_too(kind, tmp_path: Path, sleeps):
    context, cert = self_signed(tmp_path)
    head, trickle = TRICKLES[kind]
    server = TrickleServer(head, trickle, interval=0.1, then=WHOLE, tls=context)
    session = deadline_session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the certificate below
    session.verify = str(cert)
    bodies = tmp_path / "bodies"
    bodies.mkdir()
    logs: list[str] = []
    try:
        got = fast_client(server.url, bodies, sleeps, deadline=0.5, session=session,
                          log=logs.append).download("a.csv")
    finally:
        server.close()
    assert got.path.read_bytes() == BODY and server.connections == 2
    assert "no complete answer within the deadline of 0.5 s" in logs[0]


def test_an_attempt_past_its_deadline_is_retried_and_the_next_answer_kept(tmp_path: Path, sleeps):
    logs: list[str] = []
    server = trickling("body", then=WHOLE)
    try:
        got = fast_client(server.url, tmp_path, sleeps, deadline=0.5, log=logs.append).download("a.csv")
    finally:
        server.close()
    assert got.path.read_bytes() == BODY
    assert server.connections == 2 and len(sleeps.calls) == 1
    assert "attempt 1 failed (no complete answer within the deadline of 0.5 s" in logs[0]


def test_the_deadline_leaves_a_normal_answer_alone(httpserver, tmp_path: Path, sleeps):
    httpserver.expect_request("/a.csv").respond_with_data(BODY, content_type="text/csv")
    got = fast_client(httpserver.url_for(""), tmp_path, sleeps, deadline=5.0).download("a.csv")
    assert got.path.read_bytes() == BODY and sleeps.calls == []


def test_the_deadline_of_each_provider_comes_from_its_settings(datasets, live_settings, sleeps):
    settings = dataclasses.replace(live_settings, deadlines={"nomis": 0.5})
    server = trickling("body")
    try:
        dataset = datasets.nomis()
        settings = dataclasses.replace(settings, base_urls={**settings.base_urls,
                                                             "nomis": server.url})
        client = make_client(dataset, settings, sleep=sleeps, max_attempts=1, rate_limit=(10_000, 1.0))
        assert client.deadline == 0.5
        with pytest.raises(FetchError, match="within the deadline of 0.5 s"):
            client.download("a.csv")
    finally:
        server.close()


# --- a body over the cap ------------------------------------------------------------------------

CAP = 256 << 10


class WriteSpy:
    """Records, per temporary body file the client opens, its inode and the size of each write."""

    def __init__(self, monkeypatch) -> None:
        self.files: list[tuple[int, list[int]]] = []
        real = tempfile.NamedTemporaryFile

        def spy(*args, **kwargs):
            handle = real(*args, **kwargs)
            writes: list[int] = []
            self.files.append((Path(handle.name).stat().st_ino, writes))
            write = handle.write

            def counted(data: bytes) -> int:
                writes.append(len(data))
                return write(data)

            handle.write = counted
            return handle

        monkeypatch.setattr(tempfile, "NamedTemporaryFile", spy)

    def writes_of_last(self, path: Path) -> list[int]:
        """The writes of the last body file, which must be the file now at `path` (moved, not copied)."""
        inode, writes = self.files[-1]
        assert path.stat().st_ino == inode
        return writes


@pytest.fixture
def spy(monkeypatch) -> WriteSpy:
    return WriteSpy(monkeypatch)


@pytest.fixture
def dataset(datasets):
    return datasets.nomis()


@pytest.fixture
def archive(dataset, live_settings) -> Archive:
    return Archive(live_settings.archive, dataset.provider, dataset.name)


def rejected(archive: Archive) -> tuple[list[Path], list[dict]]:
    folder = archive.dir / "rejected"
    files = sorted(folder.iterdir()) if folder.exists() else []
    log = archive.dir / "rejected.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return files, rows


def archived(archive: Archive) -> list[Path]:
    """Files in the archive proper (not `rejected/`, not the logs)."""
    return [p for p in archive.dir.iterdir() if p.is_file() and p.suffix != ".jsonl"]


def endless_csv(rows: int) -> Iterator[bytes]:
    """A streamed (chunked) CSV of ~64 KB pieces, with no Content-Length to refuse it early."""
    yield b'"DATE_NAME","GEOGRAPHY_CODE"\r\n'
    line = b'"2024","W06000001"\r\n'
    for _ in range(rows // 3000):
        yield line * 3000


def test_a_body_over_the_cap_stops_being_read_and_is_kept_in_rejected(
        dataset, live_settings, client_for, nomis_api, wire, archive, spy, sleeps):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3)
    api.interject(3, lambda: Response(endless_csv(600_000), content_type="text/csv"))  # ~12 MB
    with pytest.raises(BodyTooLarge) as info:
        fetch_dataset(dataset, live_settings, client=client_for(dataset, max_bytes=CAP), log=print)
    message = str(info.value)
    url = message.rsplit(" (", 1)[1].rstrip(")")
    assert url.startswith(live_settings.base_urls["nomis"] + "/dataset/NM_9_1.data.csv?")
    assert url.endswith("&recordOffset=3")
    assert f"answer larger than the cap of {CAP:,} bytes for nomis (DATA_CYMRU_NOMIS_MAX_BYTES)" in message
    read = int(message.split("stopped reading after ")[1].split(" bytes")[0].replace(",", ""))
    assert CAP < read <= CAP + CHUNK
    assert len(api.requests) == 2 and sleeps.calls == []  # not retried: the next one would be as big

    # Where the bytes are: in rejected/, with the reason; nowhere in the archive, nothing left over.
    (kept,), (reason,) = rejected(archive)
    assert kept.stat().st_size == read and kept.read_bytes().startswith(b'"DATE_NAME"')
    assert str(kept) in message
    assert reason["bytes"] == read and reason["url"] == url and "stopped reading" in reason["reason"]
    assert [p.read_bytes() for p in archived(archive)] == [api.body(0)]  # page 1 only
    assert archive.latest_fetch() is None and list(archive.tmp_dir.iterdir()) == []

    # How: written a read at a time as it arrived, then moved (the same file), never read whole.
    writes = spy.writes_of_last(kept)
    assert sum(writes) == read and max(writes) <= CHUNK


def test_a_content_length_over_the_cap_is_refused_unread(httpserver, tmp_path: Path, sleeps, spy):
    httpserver.expect_request("/a.csv").respond_with_data(b"x" * (CAP + 1), content_type="text/csv")
    client = fast_client(httpserver.url_for(""), tmp_path, sleeps, max_bytes=CAP)
    with pytest.raises(BodyTooLarge, match=f"its Content-Length is {CAP + 1:,}; nothing read") as info:
        client.download("a.csv")
    assert info.value.partial is None and spy.files == []
    assert list(tmp_path.iterdir()) == [] and sleeps.calls == []


def test_a_body_at_the_cap_is_accepted(httpserver, tmp_path: Path, sleeps):
    httpserver.expect_request("/a.csv").respond_with_data(b"x" * CAP, content_type="text/csv")
    got = fast_client(httpserver.url_for(""), tmp_path, sleeps, max_bytes=CAP).download("a.csv")
    assert got.bytes == CAP


def test_the_cap_of_each_provider_comes_from_its_settings(datasets, live_settings):
    settings = dataclasses.replace(live_settings, max_bytes={"ons": 1000}, deadlines={"ons": 7.0})
    assert make_client(datasets.ons(), settings).max_bytes == 1000
    assert make_client(datasets.ons(), settings).deadline == 7.0
    nomis = make_client(datasets.nomis(), settings)
    assert (nomis.max_bytes, nomis.deadline) == (512 << 20, 120.0)


# --- invalid bodies: rejected/, never the archive ------------------------------------------------

def html_error_page(size: int) -> bytes:
    """An error page sent with 200: plain lines, which DuckDB reads as a one-column CSV."""
    line = b"<p>The service is temporarily unavailable. Please try again later.</p>\n"
    return b"<html><body>\n" + line * (size // len(line)) + b"</body></html>\n"


def test_an_invalid_body_goes_to_rejected_streamed_never_to_the_archive(
        datasets, live_settings, client_for, ons_api, spy, sleeps):
    dataset = datasets.ons()
    archive = Archive(live_settings.archive, dataset.provider, dataset.name)
    page = html_error_page(3 << 20)  # 3 MB, under the cap
    api = ons_api(dataset, b"")
    api.interject("csv", *[Response(page, content_type="text/html") for _ in range(4)])
    with pytest.raises(InvalidBody, match="gave up after 4 attempts, the last body invalid: expected CSV, "
                                          "got Content-Type 'text/html'"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset, max_bytes=8 << 20), log=print)
    (kept,), reasons = rejected(archive)
    assert kept.read_bytes() == page
    assert len(reasons) == 4 and {r["bytes"] for r in reasons} == {len(page)}
    assert not any(p.suffix in (".html", ".csv") for p in archived(archive))  # only the version document
    assert archive.latest_fetch() is None and list(archive.tmp_dir.iterdir()) == []
    # Streamed in reads of at most CHUNK, then moved: the rejected file is the file written.
    writes = spy.writes_of_last(kept)
    assert sum(writes) == len(page) and len(writes) > 3 and max(writes) <= CHUNK


def test_a_body_whose_check_breaks_is_rejected_not_left_behind(dataset, client_for, archive, httpserver,
                                                               logs):
    httpserver.expect_request("/nomis/api/v01/page.csv").respond_with_data(b"A\r\n1\r\n",
                                                                            content_type="text/csv")
    ctx = FetchContext(dataset, client_for(dataset), archive, FetchSet(dataset=dataset.key, mode="live"),
                       None, logs.append)

    def broken(_download):
        raise MemoryError("the check ran out of memory")

    with pytest.raises(MemoryError):
        ctx.get("page.csv", page=1, validate=broken)
    (kept,), (reason,) = rejected(archive)
    assert kept.read_bytes() == b"A\r\n1\r\n"
    assert reason["reason"] == "could not be checked: MemoryError: the check ran out of memory"
    assert archived(archive) == [] and list(archive.tmp_dir.iterdir()) == []
