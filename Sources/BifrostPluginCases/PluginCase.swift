public import BifrostCore
import BifrostWire

/// One case of a plugin's test file: a request, what the upstream answers, and what the
/// plugin's hooks must make of it.
///
/// ```json
/// {"name": "fast is an alias", "request": {"model": "fast", "messages": [{"role": "user", "content": "Hi"}]},
///  "expect": {"action": "continue", "status": 200, "upstream_model": "mock/echo",
///             "headers": {"x-bifrost-model-alias": "fast"}}}
/// ```
public struct PluginCase: Sendable {
    /// What the upstream does with the request the hooks let through.
    public enum Upstream: Sendable {
        /// The built-in mock answers (`mock/echo` echoes the last message).
        case mock
        /// This answer (OpenAI `chat.completion` JSON in the file).
        case answer(ChatResponse)
        /// These chunks, streamed (OpenAI `chat.completion.chunk` objects in the file).
        case stream([ChatChunk])
        /// This error (`{"status": 503, "message": "…"}` in the file).
        case error(BifrostError)
    }

    /// What the hooks decided, as the case names it.
    public enum Action: String, Sendable, CaseIterable {
        /// The request reached the upstream.
        case `continue`
        /// A PreHook answered without the upstream.
        case respond
        /// A hook refused the request with its own error.
        case reject
        /// A hook faulted (its failure policy then decided).
        case fault
    }

    /// What must hold after the hooks ran; what is not given is not checked.
    public struct Expectation: Sendable {
        /// The decision.
        public var action: Action?
        /// The answer's HTTP status (200 for a response).
        public var status: Int?
        /// Headers of the answer; a `nil` value means the header must be absent.
        public var headers: [(String, String?)] = []
        /// `provider/model` as the upstream received it.
        public var upstreamModel: String?
        /// Parameters as the upstream received them (each must be there with this value).
        public var upstreamParameters: JSONObject = [:]
        /// Text the answer's first choice (or the streamed text) must contain.
        public var contentContains: String?
        /// Text the error's message must contain.
        public var errorContains: String?
    }

    /// The case's name, as the report prints it.
    public var name: String
    /// The request, as the client would send it.
    public var request: ChatRequest
    /// What the upstream does.
    public var upstream: Upstream
    /// What must hold.
    public var expect: Expectation
}

/// A plugin's test file: an optional configuration and the cases.
///
/// ```json
/// {"config": {"aliases": {"fast": "mock/echo"}}, "cases": [ … ]}
/// ```
public struct PluginCaseFile: Sendable {
    /// The plugin's configuration (`config`), JSON bytes; `nil` when the file gives none.
    public var configuration: [UInt8]?
    /// The cases, in order.
    public var cases: [PluginCase]

    /// Reads a case file; anything unusable is a ``PluginCaseError`` naming the field.
    public init(json bytes: [UInt8], file: String) throws(PluginCaseError) {
        let reader = CaseReader(file: file)
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch { throw reader.fail("", "not valid JSON: \(error)") }
        let fields = try reader.object(root, at: "", allowed: ["config", "cases"])
        if let config = fields["config"] {
            var writer = JSONWriter()
            writer.value(config)
            configuration = writer.bytes
        }
        guard let list = fields["cases"]?.arrayValue, !list.isEmpty else {
            throw reader.fail("cases", "required: a non-empty array of cases")
        }
        cases = try list.enumerated().map { (index, value) throws(PluginCaseError) in
            try reader.parseCase(value, at: "cases[\(index)]")
        }
    }
}

/// A case file that cannot be used, with the field at fault.
public struct PluginCaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The field's path, e.g. `cases[2].expect.status`; empty for the whole file.
    public var path: String
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)" }
}

/// Reads case files, naming the field in every error.
struct CaseReader {
    let file: String

    func fail(_ path: String, _ message: String) -> PluginCaseError {
        PluginCaseError(file: file, path: path, message: message)
    }

    func object(_ value: JSONValue, at path: String, allowed: Set<String>) throws(PluginCaseError) -> [String: JSONValue] {
        guard let object = value.objectValue else { throw fail(path, "expected an object, got \(value.kindDescription)") }
        for key in object.keys where !allowed.contains(key) {
            throw fail(
                path.isEmpty ? key : "\(path).\(key)",
                "unknown field; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
        return object.dictionary
    }

    func string(_ value: JSONValue?, at path: String) throws(PluginCaseError) -> String? {
        guard let value else { return nil }
        guard let text = value.stringValue else { throw fail(path, "expected a string, got \(value.kindDescription)") }
        return text
    }

    func parseCase(_ value: JSONValue, at path: String) throws(PluginCaseError) -> PluginCase {
        let fields = try object(
            value, at: path, allowed: ["name", "request", "upstream", "upstream_stream", "upstream_error", "expect"])
        guard let name = try string(fields["name"], at: "\(path).name") else { throw fail("\(path).name", "required") }
        guard let requestValue = fields["request"] else { throw fail("\(path).request", "required: the client's chat request") }
        let request: ChatRequest
        do {
            var writer = JSONWriter()
            writer.value(requestValue)
            request = try ChatRequest(openAIJSON: writer.bytes, headers: HeaderFields([("content-type", "application/json")]))
        } catch {
            throw fail("\(path).request", error.message)
        }
        return PluginCase(
            name: name, request: request, upstream: try parseUpstream(fields, at: path),
            expect: try parseExpectation(fields["expect"], at: "\(path).expect"))
    }

    private func parseUpstream(_ fields: [String: JSONValue], at path: String) throws(PluginCaseError) -> PluginCase.Upstream {
        let given = ["upstream", "upstream_stream", "upstream_error"].filter { fields[$0] != nil }
        guard given.count <= 1 else { throw fail(path, "give at most one of \(given.joined(separator: ", "))") }
        if let answer = fields["upstream"] {
            var writer = JSONWriter()
            writer.value(answer)
            do { return .answer(try ChatResponse(openAIJSON: writer.bytes, provider: "upstream")) } catch {
                throw fail("\(path).upstream", error.message)
            }
        }
        if let chunks = fields["upstream_stream"] {
            guard let list = chunks.arrayValue else { throw fail("\(path).upstream_stream", "expected an array of chunks") }
            var decoder = OpenAIChunkDecoder(provider: "upstream", model: "")
            var decoded: [ChatChunk] = []
            for (index, chunk) in list.enumerated() {
                var writer = JSONWriter()
                writer.value(chunk)
                do { decoded += try decoder.decode(data: writer.bytes) } catch {
                    throw fail("\(path).upstream_stream[\(index)]", error.message)
                }
            }
            return .stream(decoded)
        }
        if let error = fields["upstream_error"] {
            let at = "\(path).upstream_error"
            let values = try object(error, at: at, allowed: ["status", "message", "type"])
            guard let status = values["status"]?.intValue, (400...599).contains(status) else {
                throw fail("\(at).status", "required: an HTTP status from 400 to 599")
            }
            return .error(
                BifrostError(
                    status: status, type: try string(values["type"], at: "\(at).type") ?? "upstream_error",
                    message: try string(values["message"], at: "\(at).message") ?? "the upstream failed",
                    source: .provider("upstream")))
        }
        return .mock
    }

    private func parseExpectation(_ value: JSONValue?, at path: String) throws(PluginCaseError) -> PluginCase.Expectation {
        var expectation = PluginCase.Expectation()
        guard let value else { return expectation }
        let fields = try object(
            value, at: path,
            allowed: [
                "action", "status", "headers", "upstream_model", "upstream_parameters", "content_contains", "error_contains",
            ])
        if let action = try string(fields["action"], at: "\(path).action") {
            guard let parsed = PluginCase.Action(rawValue: action) else {
                throw fail(
                    "\(path).action",
                    "expected one of \(PluginCase.Action.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(action)\"")
            }
            expectation.action = parsed
        }
        if let status = fields["status"] {
            guard let number = status.intValue else { throw fail("\(path).status", "expected an integer") }
            expectation.status = number
        }
        if let headers = fields["headers"] {
            guard let object = headers.objectValue else { throw fail("\(path).headers", "expected an object of header values") }
            for member in object {
                switch member.value {
                case .null: expectation.headers.append((member.key, nil))
                case .string(let text): expectation.headers.append((member.key, text))
                default: throw fail("\(path).headers.\(member.key)", "expected a string, or null for an absent header")
                }
            }
        }
        expectation.upstreamModel = try string(fields["upstream_model"], at: "\(path).upstream_model")
        if let parameters = fields["upstream_parameters"] {
            guard let object = parameters.objectValue else { throw fail("\(path).upstream_parameters", "expected an object") }
            expectation.upstreamParameters = object
        }
        expectation.contentContains = try string(fields["content_contains"], at: "\(path).content_contains")
        expectation.errorContains = try string(fields["error_contains"], at: "\(path).error_contains")
        return expectation
    }
}
