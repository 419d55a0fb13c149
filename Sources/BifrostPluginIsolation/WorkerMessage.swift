import BifrostCore

/// The first byte of every message between the gateway and a plugin worker.
enum WorkerMessageKind: UInt8 {
    /// Gateway → worker, first message: create the plugin from this configuration.
    case create = 1
    /// Worker → gateway: the plugin was created; its descriptor follows.
    case created
    /// Worker → gateway: the plugin refused to load; the refusal follows.
    case refused
    /// Gateway → worker: run a hook; its inputs follow.
    case hook
    /// Worker → gateway: the hook returned; what it changed and decided follows.
    case hookDone
    /// Gateway → worker: call the plugin's `destroy` and exit.
    case destroy
    /// Worker → gateway: `destroy` returned.
    case destroyed
    /// Gateway → worker: render the metrics the plugin defined.
    case metrics
    /// Worker → gateway: the plugin's metrics in Prometheus's text format.
    case metricsText
    /// Gateway → worker: export the plugin's state for its successor (a reload).
    case exportState
    /// Worker → gateway: the exported state (or none), or why the export failed.
    case exportedState
    /// Gateway → worker: call a plugin command (ABI 1.5); its name and bound arguments follow.
    case command
    /// Worker → gateway: the command returned; its value, or why it did not run, follows.
    case commandDone
}

/// What a hook may read of its request's context: the fixed facts and the values.
struct ContextSnapshot {
    var requestID: String
    var arrivalTimeNanoseconds: UInt64
    var clientID: String
    var route: String
    var values: [String: ContextValue]

    init(_ context: RequestContext) {
        requestID = context.requestID
        arrivalTimeNanoseconds = context.arrivalTimeNanoseconds
        clientID = context.clientID
        route = context.route
        values = context.allValues
    }

    init(reading reader: inout WorkerReader) throws(WorkerProtocolError) {
        requestID = try reader.readString()
        arrivalTimeNanoseconds = try reader.readUInt64()
        clientID = try reader.readString()
        route = try reader.readString()
        let pairs = try reader.readArray { (reader) throws(WorkerProtocolError) in
            (try reader.readString(), try reader.readContextValue())
        }
        values = Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    func write(to writer: inout WorkerWriter) {
        writer.write(requestID)
        writer.write(arrivalTimeNanoseconds)
        writer.write(clientID)
        writer.write(route)
        writer.write(values) { writer, pair in
            writer.write(pair.key)
            writer.write(pair.value)
        }
    }

    /// A context for the worker's hook call, holding a copy of the values.
    func makeContext() -> RequestContext {
        let context = RequestContext(
            requestID: requestID, arrivalTimeNanoseconds: arrivalTimeNanoseconds, clientID: clientID, route: route)
        for (key, value) in values { context[key] = value }
        return context
    }
}

/// What a hook did to its context: values set and removed, headers set for the answer.
struct ContextChanges {
    var setValues: [(String, ContextValue)] = []
    var removedKeys: [String] = []
    var responseHeaders: HeaderFields = HeaderFields()

    init(before: [String: ContextValue], after context: RequestContext) {
        let after = context.allValues
        for (key, value) in after where before[key] != value { setValues.append((key, value)) }
        for key in before.keys where after[key] == nil { removedKeys.append(key) }
        responseHeaders = context.responseHeaders
    }

    init(reading reader: inout WorkerReader) throws(WorkerProtocolError) {
        setValues = try reader.readArray { (reader) throws(WorkerProtocolError) in
            (try reader.readString(), try reader.readContextValue())
        }
        removedKeys = try reader.readArray { (reader) throws(WorkerProtocolError) in try reader.readString() }
        responseHeaders = try reader.readHeaders()
    }

    func write(to writer: inout WorkerWriter) {
        writer.write(setValues) { writer, pair in
            writer.write(pair.0)
            writer.write(pair.1)
        }
        writer.write(removedKeys) { $0.write($1) }
        writer.write(responseHeaders)
    }

    /// Applies the changes to the gateway's context of the request.
    func apply(to context: RequestContext) {
        for (key, value) in setValues { context[key] = value }
        for key in removedKeys { context[key] = nil }
        for field in responseHeaders { context.setResponseHeader(field.name, field.value) }
    }
}

/// Which parts of a request a PreHook changed; only those cross back.
struct RequestChanges: OptionSet {
    let rawValue: UInt8
    static let provider = RequestChanges(rawValue: 1 << 0)
    static let model = RequestChanges(rawValue: 1 << 1)
    static let messages = RequestChanges(rawValue: 1 << 2)
    static let parameters = RequestChanges(rawValue: 1 << 3)
    static let headers = RequestChanges(rawValue: 1 << 4)
    static let metadata = RequestChanges(rawValue: 1 << 5)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(from before: ChatRequest, to after: ChatRequest) {
        var changes: RequestChanges = []
        if before.provider != after.provider { changes.insert(.provider) }
        if before.model != after.model { changes.insert(.model) }
        if before.messages != after.messages { changes.insert(.messages) }
        if before.parameters != after.parameters { changes.insert(.parameters) }
        if before.headers != after.headers { changes.insert(.headers) }
        if before.metadata != after.metadata { changes.insert(.metadata) }
        self = changes
    }

    /// Writes the changed parts of `request`.
    func write(_ request: ChatRequest, to writer: inout WorkerWriter) {
        writer.write(rawValue)
        if contains(.provider) { writer.write(request.provider) }
        if contains(.model) { writer.write(request.model) }
        if contains(.messages) { writer.write(request.messages) { $0.write($1) } }
        if contains(.parameters) { writer.write(request.parameters) }
        if contains(.headers) { writer.write(request.headers) }
        if contains(.metadata) { writer.write(request.metadata) }
    }

    /// Reads the changed parts into `request`; what did not change keeps its value, and a
    /// request whose messages and parameters did not change keeps its body as it came.
    static func read(_ reader: inout WorkerReader, into request: inout ChatRequest) throws(WorkerProtocolError) {
        let changes = RequestChanges(rawValue: try reader.readByte())
        if changes.contains(.provider) { request.provider = try reader.readString() }
        if changes.contains(.model) { request.model = try reader.readString() }
        if changes.contains(.messages) {
            request.messages = try reader.readArray { (reader) throws(WorkerProtocolError) in try reader.readMessage() }
        }
        if changes.contains(.parameters) { request.parameters = try reader.readJSONObject() }
        if changes.contains(.headers) { request.headers = try reader.readHeaders() }
        if changes.contains(.metadata) { request.metadata = try reader.readMetadata() }
    }
}

/// What a hook decided, as it crosses back from the worker.
enum HookDecision {
    case `continue`
    case respond(ChatResponse)
    case reject(BifrostError)
    case wait(nanoseconds: Int64)
    case drop
    case fail(BifrostError)
    /// The hook faulted; the message says how.
    case fault(String)

    func write(to writer: inout WorkerWriter) {
        switch self {
        case .continue: writer.write(UInt8(0))
        case .respond(let response):
            writer.write(UInt8(1))
            writer.write(response)
        case .reject(let error):
            writer.write(UInt8(2))
            writer.write(error)
        case .wait(let nanoseconds):
            writer.write(UInt8(3))
            writer.write(Int(nanoseconds))
        case .drop: writer.write(UInt8(4))
        case .fail(let error):
            writer.write(UInt8(5))
            writer.write(error)
        case .fault(let message):
            writer.write(UInt8(6))
            writer.write(message)
        }
    }

    init(reading reader: inout WorkerReader) throws(WorkerProtocolError) {
        switch try reader.readByte() {
        case 0: self = .continue
        case 1: self = .respond(try reader.readResponse())
        case 2: self = .reject(try reader.readError())
        case 3: self = .wait(nanoseconds: Int64(try reader.readInt()))
        case 4: self = .drop
        case 5: self = .fail(try reader.readError())
        case 6: self = .fault(try reader.readString())
        default: throw .unknownTag
        }
    }
}

extension PluginFault.Hook {
    /// The hook's byte on the wire.
    var wireTag: UInt8 {
        switch self {
        case .preHook: 0
        case .postHook: 1
        case .chunkHook: 2
        }
    }

    init(wireTag: UInt8) throws(WorkerProtocolError) {
        switch wireTag {
        case 0: self = .preHook
        case 1: self = .postHook
        case 2: self = .chunkHook
        default: throw .unknownTag
        }
    }
}
