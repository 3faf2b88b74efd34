// The gRPC train request as the caikit JSON body the HTTP route takes, so both servers go through
// the same validation (SPJobs' `JobRequest`) and the job database stores one request format (a job
// submitted over gRPC resumes after a restart like an HTTP one).
//
// Field names are the proto's (snake_case), the data-stream oneof keeps its member names
// (`jsondata`, `file`, `list_of_files`, `directory`, `s3files`), which the JSON reader unwraps;
// errors therefore name the same fields (`parameters.train_stream…`) on both servers. As caikit
// converts a proto request (`ListFields`), a plain proto3 scalar at its default (0, "") counts as
// not given; the `optional` ones count when set.

import Foundation
import SPJSON

extension Caikit_Runtime_Nlp_TextGenerationTaskPeftPromptTuningTrainRequest {
    /// caikit's HTTP train body for this request.
    public func caikitJSON() -> JSONValue {
        var fields: [(String, JSONValue)] = [("model_name", .string(modelName))]
        if hasOutputPath {
            // Refused by the shared validation (caikit: "S3 output path not supported by this runtime").
            fields.append(("output_path", .object([("path", .string(outputPath.path))])))
        }
        if hasParameters { fields.append(("parameters", parameters.caikitJSON())) }
        return .object(JSONObject(fields))
    }
}

extension Caikit_Runtime_Nlp_TextGenerationTaskPeftPromptTuningTrainParameters {
    /// The `parameters` object: every field the request sets.
    func caikitJSON() -> JSONValue {
        var f: [(String, JSONValue)] = []
        if !baseModel.isEmpty { f.append(("base_model", .string(baseModel))) }
        if hasTrainStream { f.append(("train_stream", trainStream.caikitJSON())) }
        if hasTuningConfig { f.append(("tuning_config", tuningConfig.caikitJSON())) }
        if hasValStream { f.append(("val_stream", valStream.caikitJSON())) }
        if hasDevice { f.append(("device", .string(device))) }
        if hasTuningType { f.append(("tuning_type", .string(tuningType))) }
        if hasNumEpochs { f.append(("num_epochs", .int(Int(numEpochs)))) }
        if hasLearningRate { f.append(("learning_rate", .double(learningRate))) }
        if hasVerbalizer { f.append(("verbalizer", .string(verbalizer))) }
        if hasBatchSize { f.append(("batch_size", .int(Int(batchSize)))) }
        if hasMaxSourceLength { f.append(("max_source_length", .int(Int(maxSourceLength)))) }
        if hasMaxTargetLength { f.append(("max_target_length", .int(Int(maxTargetLength)))) }
        if hasAccumulateSteps { f.append(("accumulate_steps", .int(Int(accumulateSteps)))) }
        if hasTorchDtype { f.append(("torch_dtype", .string(torchDtype))) }
        if hasSilenceProgressBars { f.append(("silence_progress_bars", .bool(silenceProgressBars))) }
        if hasSeed { f.append(("seed", .int(Int(seed)))) }
        return .object(JSONObject(f))
    }
}

extension CaikitDataModel_CaikitNlp_TuningConfig {
    /// `tuning_config`: the fields not at their proto default.
    func caikitJSON() -> JSONValue {
        var f: [(String, JSONValue)] = []
        if numVirtualTokens != 0 { f.append(("num_virtual_tokens", .int(Int(numVirtualTokens)))) }
        if !promptTuningInitText.isEmpty { f.append(("prompt_tuning_init_text", .string(promptTuningInitText))) }
        if !promptTuningInitMethod.isEmpty { f.append(("prompt_tuning_init_method", .string(promptTuningInitMethod))) }
        if !promptTuningInitSourceModel.isEmpty {
            f.append(("prompt_tuning_init_source_model", .string(promptTuningInitSourceModel)))
        }
        if !outputModelTypes.isEmpty { f.append(("output_model_types", .array(outputModelTypes.map(JSONValue.string)))) }
        return .object(JSONObject(f))
    }
}

extension Caikit_Runtime_Nlp_DataStreamSourceGenerationTrainRecord {
    /// A data stream under its oneof member's name; an unset oneof is `{}` (refused: "give one of …").
    func caikitJSON() -> JSONValue {
        switch dataStream {
        case .jsondata(let j)?:
            let records = j.data.map { JSONValue.object(JSONObject([("input", .string($0.input)), ("output", .string($0.output))])) }
            return .object(JSONObject([("jsondata", .object(JSONObject([("data", .array(records))])))]))
        case .file(let f)?:
            return .object(JSONObject([("file", .object(JSONObject([("filename", .string(f.filename))])))]))
        case .listOfFiles(let l)?:
            return .object(JSONObject([("list_of_files", .object(JSONObject([("files", .array(l.files.map(JSONValue.string)))])))]))
        case .directory(let d)?:
            var inner: [(String, JSONValue)] = [("dirname", .string(d.dirname))]
            if !d.extension.isEmpty { inner.append(("extension", .string(d.extension))) }
            return .object(JSONObject([("directory", .object(JSONObject(inner)))]))
        case .s3Files?:
            return .object(JSONObject([("s3files", .object(JSONObject()))]))
        case nil:
            return .object(JSONObject())
        }
    }
}
