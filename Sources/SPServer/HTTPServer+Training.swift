// The training and model-management routes (caikit's paths) bound to `TrainingAPI`.

import Foundation
import Hummingbird

extension HTTPServer {
    /// Adds `POST /api/v1/TextGenerationTaskPeftPromptTuningTrain`, `GET`/`DELETE /management/trainings`,
    /// `GET /management/trainings/progress` (SSE) and `POST`/`DELETE /management/models`. The two
    /// POST routes take bodies up to `maxBodyBytes` (`softprompt.training.max_body_bytes`: inline
    /// training data and model files are larger than inference requests).
    static func addTrainingRoutes(_ router: Router<ServerRequestContext>, _ t: TrainingAPI, maxBodyBytes: Int) {
        router.post(RouterPath(TrainingAPI.trainRoute)) { request, _ -> Response in
            switch await readBody(request, maxBodyBytes, setting: TrainingSettings.bodyLimitSetting) {
            case .failure(let e): return response(InferenceAPI.error(e))
            case .success(let body): return response(await t.train(body, deploy: request.uri.queryParameters["deploy"].map(String.init)))
            }
        }
        router.get(RouterPath(TrainingAPI.trainingsRoute)) { request, _ in
            await response(t.status(request.uri.queryParameters["training_id"].map(String.init)))
        }
        router.delete(RouterPath(TrainingAPI.trainingsRoute)) { request, _ in
            await response(t.cancel(request.uri.queryParameters["training_id"].map(String.init)))
        }
        router.get(RouterPath(TrainingAPI.progressRoute)) { request, _ -> Response in
            switch t.progress(request.uri.queryParameters["training_id"].map(String.init)) {
            case .answer(let a): return response(a)
            case .events(let run):
                var headers = HTTPFields()
                headers[.contentType] = "text/event-stream; charset=utf-8"
                headers[.cacheControl] = "no-store"
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    try await run { text in try await writer.write(ByteBuffer(string: text)) }
                    try await writer.finish(nil)
                })
            }
        }
        router.post(RouterPath(TrainingAPI.modelsRoute)) { request, _ -> Response in
            switch await readBody(request, maxBodyBytes, setting: TrainingSettings.bodyLimitSetting) {
            case .failure(let e): return response(InferenceAPI.error(e))
            case .success(let body): return response(await t.deploy(body))
            }
        }
        router.delete(RouterPath(TrainingAPI.modelsRoute)) { request, _ in
            await response(t.undeploy(request.uri.queryParameters["model_id"].map(String.init)))
        }
    }
}
