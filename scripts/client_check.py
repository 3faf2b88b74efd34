"""The real caikit client against `softprompt serve` (run by scripts/client_check.sh).

caikit-nlp-client==0.0.8, unmodified: HttpClient (POST /api/v1/task/text-generation, Server-Sent
Events, GET /openapi.json) and GrpcClient (server reflection for the message types, mm-model-id
metadata). Every answer must equal `softprompt generate` for the same prompt, input and parameters.
Prints PASS/FAIL per check and `client: N passed, M failed`; exits 1 on a failure.
"""

import argparse
import json
import sys

from caikit_nlp_client import GrpcClient, HttpClient


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--grpc-port", type=int, required=True)
    ap.add_argument("--model-id", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--expected", required=True, help="JSON file: {name: {params, text}} from softprompt generate")
    args = ap.parse_args()
    cases = json.load(open(args.expected))
    passed = failed = 0

    def check(name, got, want):
        nonlocal passed, failed
        if got == want:
            passed += 1
            print(f"PASS {name}: {got!r}")
        else:
            failed += 1
            print(f"FAIL {name}: got {got!r}, want {want!r}")

    http = HttpClient(f"http://127.0.0.1:{args.http_port}")
    grpc = GrpcClient("127.0.0.1", args.grpc_port, insecure=True)
    http_params = http.get_text_generation_parameters()
    check("http openapi lists max_new_tokens", "max_new_tokens" in http_params, True)
    grpc_params = grpc.get_text_generation_parameters()
    check("grpc reflection lists max_new_tokens", "max_new_tokens" in grpc_params, True)
    for name, case in cases.items():
        params, want = case["params"], case["text"]
        check(f"http generate_text {name}", http.generate_text(args.model_id, args.input, **params), want)
        check(f"http generate_text_stream {name}",
              "".join(http.generate_text_stream(args.model_id, args.input, **params)), want)
        check(f"grpc generate_text {name}", grpc.generate_text(args.model_id, args.input, **params), want)
        check(f"grpc generate_text_stream {name}",
              "".join(grpc.generate_text_stream(args.model_id, args.input, **params)), want)
    # An unknown model: the client raises with caikit's message (HTTP 404 details, gRPC NOT_FOUND).
    for label, client in (("http", http), ("grpc", grpc)):
        try:
            client.generate_text("no-such-model", args.input)
            check(f"{label} unknown model raises", "no error", "error")
        except RuntimeError as e:
            check(f"{label} unknown model raises", "not loaded" in str(e), True)
    print(f"client: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
