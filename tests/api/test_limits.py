"""Request bodies: the caller is authenticated before a byte is read, and bodies are capped."""

from api.guard import CSV_LIMIT, JSON_LIMIT

CHUNK = 64 * 1024
HUGE = 50 * 1024 * 1024


class Upload:
    """A streamed body (no Content-Length) that counts how much of it the server read."""

    def __init__(self, size: int, line: bytes = b" ") -> None:
        self.size = size
        self.line = line
        self.read = 0

    async def __aiter__(self):
        chunk = (self.line * (CHUNK // len(self.line) + 1))[:CHUNK]
        while self.read < self.size:
            self.read += len(chunk)
            yield chunk


async def test_no_body_is_read_before_the_caller_is_authenticated(api, world):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        upload = Upload(HUGE)
        answer = await api.post(
            "/risk-signals", headers=headers | {"Content-Type": "application/json"}, content=upload
        )
        assert answer.status_code == 401
        assert answer.json()["error"] == "unauthenticated"
        assert upload.read == 0


async def test_a_streamed_body_is_cut_off_at_its_cap(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    upload = Upload(HUGE)
    answer = await api.post(
        "/risk-signals",
        headers=teacher | {"Content-Type": "application/json", "Accept-Language": "en"},
        content=upload,
    )
    assert answer.status_code == 413
    assert answer.json() == {
        "error": "too_large",
        "detail": "The request is too large: at most 1 MB.",
    }
    assert JSON_LIMIT < upload.read <= JSON_LIMIT + CHUNK


async def test_a_declared_length_over_the_cap_is_refused_at_once(api, world, token_for):
    teacher = await token_for(world.teacher_a)
    upload = Upload(HUGE)
    answer = await api.post(
        "/risk-signals",
        headers=teacher | {"Content-Type": "application/json", "Content-Length": str(HUGE)},
        content=upload,
    )
    assert answer.status_code == 413
    assert upload.read == 0


async def test_a_roster_may_be_larger_than_json_but_not_without_limit(api, world, token_for):
    coordinator = await token_for(world.coordinator_a)
    url = f"/schools/{world.school_a.id}/roster"
    csv = coordinator | {"Content-Type": "text/csv"}
    rows = b"".join(b"R%d,7.a,Zane,Roze\n" % n for n in range(2 * JSON_LIMIT // 18))
    big = await api.post(
        url, headers=csv, content=b"student_ref,class,first_name,last_name\n" + rows
    )
    assert big.status_code == 422  # read and parsed: more rows than a roster may have
    assert big.json()["error"] == "invalid_input"
    upload = Upload(HUGE, b" " * 1023 + b"\n")  # blank lines: nothing stops the reading but the cap
    too_big = await api.post(url, headers=csv, content=upload)
    assert too_big.status_code == 413
    assert CSV_LIMIT < upload.read <= CSV_LIMIT + CHUNK
    headless = Upload(HUGE, b"7.a,Zane,Roze\n")  # refused at its first line: read no further
    refused = await api.post(url, headers=csv, content=headless)
    assert refused.status_code == 422
    assert headless.read <= 2 * CHUNK


async def test_every_operation_that_needs_a_caller_reads_nothing_before_the_401(api, world):
    operations = (await api.get("/openapi.json")).json()["paths"]
    probed = 0
    for path, methods in operations.items():
        for method, operation in methods.items():
            if "security" not in operation:
                continue
            upload = Upload(2 * CHUNK)
            answer = await api.request(
                method,
                path.replace("{", "").replace("}", ""),  # any value: the token comes first
                headers={"Content-Type": "application/json"},
                content=upload,
            )
            assert (answer.status_code, upload.read) == (401, 0), (method, path)
            probed += 1
    assert probed > 30
