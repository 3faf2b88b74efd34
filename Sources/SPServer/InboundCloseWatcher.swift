// Noticing that an HTTP/1 client went away during a unary request, without giving up keep-alive.
// Hummingbird 2 reads a connection's next request only after the current response, and its own
// `consumeWithCancellationOnInboundClose` closes every such connection after the answer. Instead a
// channel handler at the front of every connection's pipeline (before TLS and the HTTP codec,
// which may hold the event back while a request is open) sees the socket's end of input
// (`ChannelEvent.inputClosed`: the server allows remote half-closure) or the channel going
// inactive, and calls the handlers of the requests in flight on that connection: a unary
// generation whose client closed its socket leaves the batch at the next token.
//
//   connection setup: CloseWatcherInstaller (HTTP1Channel's additional handlers) → puts an
//   InboundCloseWatcher first in the pipeline; request: watcher.watch { cancel } … unwatch(id)

import Hummingbird
import NIOCore
import Synchronization

/// Calls registered handlers once when its connection's input ends or the channel closes.
final class InboundCloseWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    private struct State {
        var closed = false
        var next = 0
        var handlers: [Int: @Sendable () -> Void] = [:]
    }
    private let state = Mutex(State())
    /// The watcher of each open connection, by channel (looked up synchronously: a test channel's
    /// event loop may never run a pipeline query).
    private static let registry = Mutex<[ObjectIdentifier: InboundCloseWatcher]>([:])

    /// The watcher in `channel`'s pipeline, if any.
    static func of(_ channel: any Channel) -> InboundCloseWatcher? {
        registry.withLock { $0[ObjectIdentifier(channel)] }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let key = ObjectIdentifier(context.channel)
        Self.registry.withLock { $0[key] = self }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        let key = ObjectIdentifier(context.channel)
        Self.registry.withLock { _ = $0.removeValue(forKey: key) }
    }

    /// Registers `handler` (called at once when the input already ended); returns its id.
    func watch(_ handler: @escaping @Sendable () -> Void) -> Int {
        let (id, closed) = state.withLock { s -> (Int, Bool) in
            s.next += 1
            if !s.closed { s.handlers[s.next] = handler }
            return (s.next, s.closed)
        }
        if closed { handler() }
        return id
    }

    /// Forgets handler `id` (its request ended).
    func unwatch(_ id: Int) {
        _ = state.withLock { $0.handlers.removeValue(forKey: id) }
    }

    private func fire() {
        let handlers = state.withLock { s -> [@Sendable () -> Void] in
            s.closed = true
            defer { s.handlers = [:] }
            return Array(s.handlers.values)
        }
        for h in handlers { h() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, case .inputClosed = e { fire() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fire()
        context.fireChannelInactive()
    }
}

/// Added by HTTP1Channel with the other connection handlers; puts an ``InboundCloseWatcher`` at the
/// front of the pipeline (where it sees the socket's events first).
final class CloseWatcherInstaller: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        try? context.pipeline.syncOperations.addHandler(InboundCloseWatcher(), position: .first)
    }
}

extension HTTPServer {
    /// Runs `operation` in a task that is cancelled when the client of `channel` closes its
    /// connection (its input ends) before it returns. Without a watcher (a test channel) it just runs.
    static func cancellingOnClose<T: Sendable>(_ channel: any Channel, _ operation: @escaping @Sendable () async -> T) async -> T {
        guard let watcher = InboundCloseWatcher.of(channel) else {
            return await operation()
        }
        let task = Task { await operation() }
        let id = watcher.watch { task.cancel() }
        defer { watcher.unwatch(id) }
        return await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
    }
}

/// The request context of `softprompt serve`'s routes: Hummingbird's basic context plus the
/// connection's channel (for ``HTTPServer/cancellingOnClose(_:_:)``).
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
