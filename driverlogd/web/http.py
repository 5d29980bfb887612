"""Small HTTP plumbing for the WSGI app: requests, responses, caching."""
import collections
import gzip
import json
import urllib.parse

from driverlogd.web.filters import BadRequest

JSON = "application/json; charset=utf-8"


class Request:
    def __init__(self, environ):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        # Segments come from the raw path so that %2F inside a segment (a
        # vendor or driver name with a slash) is not mistaken for a separator.
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw:
            raw = raw.split("?", 1)[0]
            if "://" in raw:   # absolute-form request target
                raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        else:
            raw = urllib.parse.quote(environ.get("PATH_INFO", "/").encode("latin-1"))
        self.raw_path = raw
        self.query = environ.get("QUERY_STRING", "")
        try:
            self.segments = [urllib.parse.unquote(s, errors="strict")
                             for s in raw.split("/")[1:]]
        except UnicodeDecodeError:
            raise BadRequest("the path is not valid UTF-8") from None
        self.path = "/" + "/".join(self.segments)

    def header(self, name, default=""):
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"), default)

    def accepts_gzip(self):
        return "gzip" in self.header("Accept-Encoding").lower()


class Response:
    def __init__(self, status, body=b"", content_type=JSON, headers=None, stream=None):
        self.status = status
        self.body = body
        self.headers = [("Content-Type", content_type)] + list(headers or ())
        self.stream = stream   # an iterable of bytes, for server-sent events

    def header(self, name, value):
        self.headers.append((name, value))
        return self


STATUS_TEXT = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
               405: "Method Not Allowed", 413: "Payload Too Large",
               414: "URI Too Long", 429: "Too Many Requests", 500: "Internal Server Error",
               503: "Service Unavailable"}


def json_response(obj, status=200, headers=None):
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, JSON, headers)


def error_response(status, message, headers=None):
    return json_response({"error": {"status": status, "message": message}}, status, headers)


class BodyCache:
    """A small LRU of finished bodies (plain and gzipped) per snapshot token.

    Repeated identical requests, the common case for a dashboard and for
    polling scripts, cost a dictionary lookup. Bounded by the bytes of the
    bodies held: a value is a body, or a tuple whose first item is the body.
    One body may fill the bound (the plain whole list at 10,000 drivers,
    12 MB, flushing the rest); a larger one is not kept.

    A body made from a snapshot is put with its token, which its key holds:
    once two newer snapshots have put bodies, no request can ask for it again,
    and it is dropped. Else a tab polling a filtered list left a dead body a
    second (~4 KB, with its key and headers outside the bound) until the
    16 MB bound filled."""

    KEEP_TOKENS = 2     # the current snapshot, and the one served during its rebuild

    def __init__(self, max_bytes=16 << 20):
        self.max_bytes = max_bytes
        self.size = 0
        self.items = collections.OrderedDict()
        self.tokens = collections.deque()   # newest last: whose bodies are kept

    def get(self, key):
        v = self.items.get(key)
        if v is not None:
            self.items.move_to_end(key)
        return v

    def put(self, key, value, token=None):
        """`token`: that of the snapshot the body was made from (key[0])."""
        if token is not None and token not in self.tokens:
            self.tokens.append(token)
            if len(self.tokens) > self.KEEP_TOKENS:
                self._drop_token(self.tokens.popleft())
        n = _size(value)
        if n > self.max_bytes:
            return
        old = self.items.pop(key, None)
        if old is not None:
            self.size -= _size(old)
        self.items[key] = value
        self.size += n
        while self.size > self.max_bytes:
            _, v = self.items.popitem(last=False)
            self.size -= _size(v)

    def _drop_token(self, token):
        for key in [k for k in self.items if isinstance(k, tuple) and k[0] == token]:
            self.size -= _size(self.items.pop(key))


def _size(value):
    return len(value[0] if isinstance(value, tuple) else value)


def gzip_body(cache, key, body, meta=(), token=None):
    """The gzip copy of `body`, cached under `key` as (gzip, *meta)."""
    hit = cache.get(key)
    if hit is None:
        hit = (gzip.compress(body, compresslevel=5, mtime=0),) + tuple(meta)
        cache.put(key, hit, token)
    return hit[0]
