"""The fake providers of bench/outage_run.py, on loopback ports of their own.

An OpenAI-compatible chat completions server answering from the request's JSON
schema, an SMTP server (asyncio; it can hold a message unanswered, as a server does
while a worker dies) and Twilio's Messages API. A stopped provider refuses
connections, like one that is down.
"""

import asyncio
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PORTS = {"web": 18731, "model": 18732, "smtp": 18733, "twilio": 18734}


def from_schema(schema: dict, name: str = ""):
    """A valid value for a JSON schema: what a model in strict mode would return."""
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]: answer null
        return None if "null" in kind else from_schema({**schema, "type": kind[0]})
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties", {})
        return {key: from_schema(sub, key) for key, sub in props.items()}
    if kind == "array":
        return []
    if kind == "integer":
        return max(schema.get("minimum", 0), min(schema.get("maximum", 100), 60))
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return False
    return "en" if name == "language" else f"The caller's {name or 'answer'}."


class ModelHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        schema = body["response_format"]["json_schema"]["schema"]
        reply = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": json.dumps(from_schema(schema)),
                        "refusal": None,
                    },
                }
            ],
            "usage": {
                "prompt_tokens": 800,
                "completion_tokens": 100,
                "total_tokens": 900,
            },
        }
        self._answer(200, reply)
        STATS["model_requests"] += 1

    def _answer(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class TwilioHandler(ModelHandler):
    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        TEXTS.append((form["To"][0], form["Body"][0]))
        self._answer(201, {"sid": f"SM{uuid.uuid4().hex}", "status": "queued"})


STATS = {"model_requests": 0}
TEXTS: list[tuple[str, str]] = []
EMAILS: list[str] = []  # Message-ID of each message the SMTP server received
HOLD = {"armed": False, "held": threading.Event()}


async def smtp_session(reader, writer):
    """Just enough SMTP for Django's backend: EHLO, MAIL, RCPT, DATA, RSET, QUIT."""

    def say(line: str):
        writer.write(f"{line}\r\n".encode())

    say("220 outage-run ESMTP")
    try:
        while line := await reader.readline():
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb == "EHLO":
                say("250-outage-run")
                say("250 8BITMIME")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                say("250 OK")
            elif verb == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                await writer.drain()
                message = await reader.readuntil(b"\r\n.\r\n")
                EMAILS.append(_message_id(message))
                if HOLD["armed"]:  # has the message, never answers: the worker dies
                    HOLD["armed"] = False
                    HOLD["held"].set()
                    await asyncio.sleep(30)
                    return
                say("250 OK queued")
            elif verb == "QUIT":
                say("221 Bye")
                await writer.drain()
                return
            else:
                say("502 Not implemented")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _message_id(message: bytes) -> str:
    for line in message.decode(errors="replace").split("\r\n"):
        if line.lower().startswith("message-id:"):
            return line.split(":", 1)[1].strip()
    return f"(none {uuid.uuid4()})"


async def _close(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


class Providers:
    """Start and stop the fake providers; stopped ones refuse connections."""

    def __init__(self, ports: dict[str, int] = PORTS):
        self.ports = ports
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.http = {}
        self.smtp = None
        self.start("twilio")

    def start(self, *names: str):
        for name in names:
            if name == "smtp":
                self.smtp = self._run(
                    asyncio.start_server(smtp_session, "127.0.0.1", self.ports["smtp"])
                )
                continue
            handler = ModelHandler if name == "model" else TwilioHandler
            server = ThreadingHTTPServer(("127.0.0.1", self.ports[name]), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.http[name] = server

    def stop(self, *names: str):
        for name in names:
            if name == "smtp":
                if self.smtp is not None:
                    # In the loop's own thread: asyncio's Server is not thread-safe.
                    self._run(_close(self.smtp))
                    self.smtp = None
                continue
            server = self.http.pop(name)
            server.shutdown()
            server.server_close()

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()
