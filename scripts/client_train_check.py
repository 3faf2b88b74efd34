"""caikit's gRPC training services from a real Python gRPC stack (run by scripts/client_check.sh).

caikit-nlp-client 0.0.8 has no training calls, so this uses the libraries it installs (grpcio,
grpcio-reflection, protobuf): the message types come from the server's reflection, as any dynamic
client gets them. Trains the tiny model through NlpTrainingService/TextGenerationTaskPeftPromptTuningTrain,
polls TrainingManagement/GetTrainingStatus to COMPLETED, generates with the deployed prompt through
caikit-nlp-client's GrpcClient and compares it with the HTTP route's text; a bad request must be
INVALID_ARGUMENT naming the field, an unknown training id NOT_FOUND.
Prints PASS/FAIL per check and `client-train: N passed, M failed`; exits 1 on a failure.
"""

import argparse
import sys
import time

import grpc
import requests
from caikit_nlp_client import GrpcClient
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--grpc-port", type=int, required=True)
    args = ap.parse_args()
    passed = failed = 0

    def check(name, ok, detail):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"PASS {name}: {detail}")
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")

    channel = grpc.insecure_channel(f"127.0.0.1:{args.grpc_port}")
    pool = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))

    def rpc(service, method):
        m = pool.FindServiceByName(service).FindMethodByName(method)
        req, res = message_factory.GetMessageClass(m.input_type), message_factory.GetMessageClass(m.output_type)
        call = channel.unary_unary(f"/{service}/{method}", request_serializer=req.SerializeToString,
                                   response_deserializer=res.FromString)
        return lambda body: call(json_format.ParseDict(body, req()), timeout=60)

    train = rpc("caikit.runtime.Nlp.NlpTrainingService", "TextGenerationTaskPeftPromptTuningTrain")
    status = rpc("caikit.runtime.training.TrainingManagement", "GetTrainingStatus")
    records = [{"input": f"w{i} w{i + 2}", "output": f"w{10 + i % 3}"} for i in range(6)]
    body = {"model_name": "py-grpc-pt", "parameters": {
        "base_model": "tiny", "train_stream": {"jsondata": {"data": records}},
        "tuning_config": {"num_virtual_tokens": 3, "prompt_tuning_init_method": "TEXT", "prompt_tuning_init_text": "w1 w2"},
        "num_epochs": 2, "learning_rate": 0.05, "batch_size": 2, "max_source_length": 32, "max_target_length": 8,
        "accumulate_steps": 1, "torch_dtype": "float32", "seed": 7}}
    job = train(body)
    check("train", job.model_name == "py-grpc-pt" and len(job.training_id) == 36, f"{job.training_id} {job.model_name}")
    s = None
    for _ in range(1500):
        s = status({"training_id": job.training_id})
        if s.state in (3, 4, 5):  # COMPLETED, CANCELED, ERRORED
            break
        time.sleep(0.1)
    state = s.DESCRIPTOR.fields_by_name["state"].enum_type.values_by_number[s.state].name
    check("status", state == "COMPLETED" and not s.reasons, f"{state} {list(s.reasons)}")
    sub, done = s.submission_timestamp.ToDatetime(), s.completion_timestamp.ToDatetime()
    check("timestamps", s.HasField("submission_timestamp") and s.HasField("completion_timestamp") and sub <= done
          and s.submission_timestamp.nanos % 1000 == 0, f"{sub.isoformat()} .. {done.isoformat()}")
    http = requests.get(f"http://127.0.0.1:{args.http_port}/management/trainings",
                        params={"training_id": job.training_id}, timeout=30).json()
    check("http status", http["state"] == state and http["submission_timestamp"] == s.submission_timestamp.ToJsonString(),
          f"{http['state']} {http['submission_timestamp']}")

    params = {"max_new_tokens": 4, "min_new_tokens": 4}
    text = GrpcClient("127.0.0.1", args.grpc_port, insecure=True).generate_text("py-grpc-pt", "w1 w3", **params)
    want = requests.post(f"http://127.0.0.1:{args.http_port}/api/v1/task/text-generation",
                         json={"model_id": "py-grpc-pt", "inputs": "w1 w3", "parameters": params}, timeout=60).json()
    check("generate deployed", text == want["generated_text"], f"{text!r} (HTTP {want['generated_text']!r})")

    bad = dict(body, parameters=dict(body["parameters"], num_epochs=-2))
    try:
        train(bad)
        check("bad request", False, "accepted")
    except grpc.RpcError as e:
        check("bad request", e.code() == grpc.StatusCode.INVALID_ARGUMENT and "num_epochs" in e.details(),
              f"{e.code().name}: {e.details()[:100]}")
    try:
        status({"training_id": "no-such-id"})
        check("unknown id", False, "answered")
    except grpc.RpcError as e:
        check("unknown id", e.code() == grpc.StatusCode.NOT_FOUND, f"{e.code().name}: {e.details()[:100]}")

    print(f"client-train: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
