#!/usr/bin/env python3
"""A flaky Orange admin API for t-report.sh: the token works; each admin
endpoint answers 503 to its first FAILS requests, then the documented
answer.  Prints "ready PORT"; counts hits in HITS_FILE on every request."""
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

FAILS = int(sys.argv[1])
HITS_FILE = sys.argv[2]
hits = {}

BODIES = {
    "/sms/admin/v1/contracts": {"partnerContracts": {"partnerId": "p", "contracts": [
        {"service": "SMS_OCB", "contractDescription": "x", "serviceContracts": [
            {"country": "MLI", "service": "SMS_OCB", "contractId": "c1", "availableUnits": 324,
             "expires": "2030-05-01T14:38:14", "scDescription": "Mali - 324 SMS"}]}]}},
    "/sms/admin/v1/statistics": {"partnerStatistics": {"partnerId": "p", "statistics": [
        {"service": "SMS_OCB", "serviceStatistics": [
            {"country": "MLI", "countryStatistics": [{"applicationId": "app-griot", "usage": 153}]}]}]}},
    "/sms/admin/v1/purchaseorders": {"purchaseOrders": [
        {"purchaseOrderId": "1", "mode": "OCB", "bundleId": "b",
         "bundleDescription": "Bundle 2 - 500 SMS for 15 000 FCFA)", "partnerId": "p", "inputs": [],
         "orderExecutioninformation": {"date": "2024-04-01T14:38:40", "amount": 15000,
                                       "currency": "XOF", "service": "SMS_OCB",
                                       "country": "MLI", "contractId": "c1"}}]},
}

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def send(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send(200, {"token_type": "Bearer", "access_token": "tok", "expires_in": "3600"})
    def do_GET(self):
        path = self.path.split("?")[0]
        hits[path] = hits.get(path, 0) + 1
        with open(HITS_FILE, "w") as f:
            json.dump(hits, f)
        if path not in BODIES:
            return self.send(404, {})
        if hits[path] <= FAILS:
            return self.send(503, {"code": 0, "message": "Service unavailable"})
        self.send(200, BODIES[path])

srv = HTTPServer(("127.0.0.1", 0), H)
print("ready %d" % srv.server_address[1], flush=True)
srv.serve_forever()
