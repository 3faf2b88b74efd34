// caikit.runtime.info.InfoService: the runtime version and the models under local_models_dir,
// from the same InferenceAPI calls as `GET /info/version` and `GET /info/models`.

import GRPCCore
import GRPCProtobuf
import SPPrompt
import SPServer

/// `GetRuntimeInfo` and `GetModelsInfo`.
public struct InfoServiceHandler: Caikit_Runtime_Info_InfoService.SimpleServiceProtocol {
    let api: InferenceAPI

    public init(api: InferenceAPI) { self.api = api }

    public func getRuntimeInfo(request: CaikitDataModel_Common_Runtime_RuntimeInfoRequest, context: ServerContext) async throws
        -> CaikitDataModel_Common_Runtime_RuntimeInfoResponse {
        var out = CaikitDataModel_Common_Runtime_RuntimeInfoResponse()
        out.runtimeVersion = InferenceAPI.runtimeVersion
        return out
    }

    public func getModelsInfo(request: CaikitDataModel_Common_Runtime_ModelInfoRequest, context: ServerContext) async throws
        -> CaikitDataModel_Common_Runtime_ModelInfoResponse {
        let infos: [InferenceAPI.ModelInfo]
        do { infos = try await api.modelInfos(ids: request.modelIds) } catch { throw CaikitError.from(error).rpcError }
        var out = CaikitDataModel_Common_Runtime_ModelInfoResponse()
        out.models = infos.map { m in
            var info = CaikitDataModel_Common_Runtime_ModelInfo()
            info.name = m.name
            info.loaded = m.loaded
            if m.loaded {
                info.modelPath = m.path ?? ""
                info.size = Int64(m.size ?? 0)
                info.moduleID = CaikitModule.moduleID
                info.moduleMetadata = ["name": CaikitModule.name, "version": CaikitModule.version]
            }
            return info
        }
        return out
    }
}
