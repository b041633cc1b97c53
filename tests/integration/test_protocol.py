"""Socket protocol: framing, errors, pipelining; the connection stays usable."""
import json

from harness import apns_token


def test_parse_error_then_connection_still_usable(rig):
    d = rig.daemon()
    c = d.client()
    c.send_raw(b"{not json\n")
    r = c.read_line()
    assert r == {"id": None, "ok": False, "error": "parse_error", "message": r["message"]}
    assert c.request({"op": "ping"})["ok"] is True
    c.close()


def test_unknown_op_and_bad_request(rig):
    d = rig.daemon()
    r = d.request({"op": "frobnicate", "id": "x"})
    assert r["ok"] is False and r["error"] == "unknown_op" and r["id"] == "x"
    r = d.request({"op": "send", "id": "y", "notifications": "nope"})
    assert r["ok"] is False and r["error"] == "bad_request" and r["id"] == "y"
    r = d.request({"id": "z"})
    assert r["ok"] is False and r["error"] == "bad_request"


def test_line_too_long_skips_line_and_keeps_connection(rig):
    cfg = rig.config(server_extra="max_line_bytes = 4096")
    d = rig.daemon(cfg)
    c = d.client()
    big = json.dumps({"op": "send", "id": "big", "notifications": [], "pad": "x" * 10000})
    c.send_raw(big.encode() + b"\n" + b'{"op":"ping","id":"after"}\n')
    first = c.read_line()
    assert first["ok"] is False and first["error"] == "line_too_long"
    second = c.read_line()
    assert second == {"id": "after", "ok": True}
    c.close()


def test_split_reads_and_pipelined_requests(rig):
    d = rig.daemon()
    c = d.client()
    lines = b""
    for i in range(20):
        lines += json.dumps({"op": "ping", "id": "p%d" % i}).encode() + b"\n"
    req = json.dumps({"op": "send", "id": "s", "wait": True, "notifications": [
        {"platform": "apns", "app": "shop-ios", "tokens": [apns_token(7)], "payload": {"aps": {}}}]}).encode() + b"\n"
    data = lines + req
    # Byte-by-byte for the first part, then the rest in one write.
    for i in range(0, 200):
        c.send_raw(data[i:i + 1])
    c.send_raw(data[200:])
    got = {}
    while len(got) < 21:
        r = c.read_line()
        got[r["id"]] = r
    assert all(got["p%d" % i]["ok"] for i in range(20))
    assert got["s"]["results"][0]["status"] == "delivered"
    c.close()


def test_id_any_json_string_echoed(rig):
    d = rig.daemon()
    r = d.request({"op": "ping", "id": "quote\"and\\slash \u00e9"})
    assert r["id"] == "quote\"and\\slash \u00e9"
