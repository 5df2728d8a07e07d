"""A small HTTP client for the console tests: keeps cookies by hand (the
console's are Secure, and the tests talk plain HTTP over loopback), finds
CSRF tokens in pages, posts forms and files."""
import http.client
import re
import urllib.parse
import uuid


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class Client:
    def __init__(self, addr, lang="en"):
        host, port = addr.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.cookies = {}
        self.lang = lang

    def request(self, method, path, body=None, ctype=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        h = {"Accept-Language": self.lang}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if ctype:
            h["Content-Type"] = ctype
        if headers:
            h.update(headers)
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        resp = Resp(r.status, r.getheaders(), r.read())
        conn.close()
        for sc in resp.header("Set-Cookie"):
            name, rest = sc.split("=", 1)
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields):
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(),
                            "application/x-www-form-urlencoded")

    def post_file(self, path, fields, filename, data, file_ctype="text/csv"):
        b = uuid.uuid4().hex
        parts = []
        for k, v in fields.items():
            parts.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                          % (b, k, v)).encode())
        parts.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                      "Content-Type: %s\r\n\r\n" % (b, filename, file_ctype)).encode())
        parts.append(data)
        parts.append(("\r\n--%s--\r\n" % b).encode())
        return self.request("POST", path, b"".join(parts), "multipart/form-data; boundary=" + b)

    @staticmethod
    def csrf_of(resp):
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', resp.text)
        return m.group(1) if m else None

    def csrf(self, path="/campaigns"):
        return self.csrf_of(self.get(path))

    def login(self, user, password):
        token = self.csrf_of(self.get("/login"))
        return self.post("/login", {"csrf": token, "username": user, "password": password})
