import BifrostCore

// The chain's values as they cross to a worker: what a hook can read through the ABI, without
// the bodies kept as they came (`wire`), which no accessor reads and the gateway keeps.

extension WorkerWriter {
    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: write(UInt8(0))
        case .bool(let flag): write(UInt8(flag ? 2 : 1))
        case .number(let number):
            write(UInt8(3))
            write(number.text)
        case .string(let text):
            write(UInt8(4))
            write(text)
        case .array(let elements):
            write(UInt8(5))
            write(elements) { $0.write($1) }
        case .object(let object):
            write(UInt8(6))
            write(object)
        }
    }

    mutating func write(_ object: JSONObject) {
        write(object.members) { writer, member in
            writer.write(member.key)
            writer.write(member.value)
        }
    }

    mutating func write(_ headers: HeaderFields) {
        write(UInt32(headers.count))
        for field in headers {
            write(field.name)
            write(field.value)
        }
    }

    mutating func write(_ metadata: [String: String]) {
        write(metadata.sorted { $0.key < $1.key }) { writer, pair in
            writer.write(pair.key)
            writer.write(pair.value)
        }
    }

    mutating func write(_ message: ChatMessage) {
        write(message.role)
        write(message.content)
        write(message.extra)
    }

    mutating func write(request: ChatRequest) {
        write(request.provider)
        write(request.model)
        write(request.messages) { $0.write($1) }
        write(request.parameters)
        write(request.headers)
        write(request.metadata)
    }

    mutating func write(_ usage: TokenUsage) {
        write(usage.promptTokens)
        write(usage.completionTokens)
        write(usage.totalTokens)
        write(usage.cachedPromptTokens)
        write(usage.cacheCreationPromptTokens)
        write(usage.reasoningTokens)
    }

    mutating func write(_ response: ChatResponse) {
        write(response.id)
        write(response.created)
        write(response.provider)
        write(response.model)
        write(response.choices) { writer, choice in
            writer.write(choice.role)
            writer.write(choice.content)
            writer.write(choice.finishReason)
            writer.write(choice.extra)
            writer.write(choice.choiceExtra)
        }
        write(response.usage)
        write(response.extra)
        write(response.headers)
    }

    mutating func write(_ error: BifrostError) {
        write(error.status)
        write(error.type)
        write(error.code)
        write(error.param)
        write(error.message)
        write(error.headers)
        switch error.source {
        case .gateway: write(UInt8(0))
        case .plugin(let name):
            write(UInt8(1))
            write(name)
        case .provider(let name):
            write(UInt8(2))
            write(name)
        }
        write(error.fallbacksTried) { $0.write($1) }
    }

    mutating func write(_ outcome: ChatOutcome) {
        switch outcome {
        case .response(let response):
            write(UInt8(0))
            write(response)
        case .failure(let error):
            write(UInt8(1))
            write(error)
        }
    }

    mutating func write(_ chunk: ChatChunk) {
        write(chunk.id)
        write(chunk.created)
        write(chunk.provider)
        write(chunk.model)
        write(chunk.choices) { writer, choice in
            writer.write(choice.index)
            writer.write(choice.role)
            writer.write(choice.content)
            writer.write(choice.finishReason)
            writer.write(choice.extra)
            writer.write(choice.choiceExtra)
        }
        write(chunk.usage != nil)
        if let usage = chunk.usage { write(usage) }
        write(chunk.extra)
    }

    mutating func write(_ value: ContextValue) {
        switch value {
        case .bool(let flag):
            write(UInt8(0))
            write(flag)
        case .number(let number):
            write(UInt8(1))
            write(number)
        case .string(let text):
            write(UInt8(2))
            write(text)
        case .json(let text):
            write(UInt8(3))
            write(text)
        }
    }
}

extension WorkerReader {
    mutating func readJSONValue(depth: Int = 0) throws(WorkerProtocolError) -> JSONValue {
        // The gateway's parser bounds nesting far below this; deeper is corrupt.
        guard depth < 512 else { throw .unknownTag }
        switch try readByte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3:
            let text = try readString()
            guard let number = JSONNumber(text: text) else { throw .unknownTag }
            return .number(number)
        case 4: return .string(try readString())
        case 5:
            return .array(try readArray { (reader) throws(WorkerProtocolError) in try reader.readJSONValue(depth: depth + 1) })
        case 6: return .object(try readJSONObject(depth: depth + 1))
        default: throw .unknownTag
        }
    }

    mutating func readJSONObject(depth: Int = 0) throws(WorkerProtocolError) -> JSONObject {
        JSONObject(
            uncheckedMembers: try readArray { (reader) throws(WorkerProtocolError) in
                JSONObject.Member(key: try reader.readString(), value: try reader.readJSONValue(depth: depth))
            })
    }

    mutating func readHeaders() throws(WorkerProtocolError) -> HeaderFields {
        HeaderFields(try readArray { (reader) throws(WorkerProtocolError) in (try reader.readString(), try reader.readString()) })
    }

    mutating func readMetadata() throws(WorkerProtocolError) -> [String: String] {
        let pairs = try readArray { (reader) throws(WorkerProtocolError) in (try reader.readString(), try reader.readString()) }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    mutating func readMessage() throws(WorkerProtocolError) -> ChatMessage {
        ChatMessage(role: try readString(), content: try readString(), extra: try readJSONObject())
    }

    mutating func readRequest() throws(WorkerProtocolError) -> ChatRequest {
        ChatRequest(
            provider: try readString(), model: try readString(),
            messages: try readArray { (reader) throws(WorkerProtocolError) in try reader.readMessage() },
            parameters: try readJSONObject(), headers: try readHeaders(), metadata: try readMetadata())
    }

    mutating func readUsage() throws(WorkerProtocolError) -> TokenUsage {
        TokenUsage(
            promptTokens: try readInt(), completionTokens: try readInt(), totalTokens: try readInt(),
            cachedPromptTokens: try readOptionalInt(), cacheCreationPromptTokens: try readOptionalInt(),
            reasoningTokens: try readOptionalInt())
    }

    mutating func readResponse() throws(WorkerProtocolError) -> ChatResponse {
        ChatResponse(
            id: try readString(), created: try readInt(), provider: try readString(), model: try readString(),
            choices: try readArray { (reader) throws(WorkerProtocolError) in
                ChatChoice(
                    role: try reader.readString(), content: try reader.readString(),
                    finishReason: try reader.readOptionalString(), extra: try reader.readJSONObject(),
                    choiceExtra: try reader.readJSONObject())
            },
            usage: try readUsage(), extra: try readJSONObject(), headers: try readHeaders())
    }

    mutating func readError() throws(WorkerProtocolError) -> BifrostError {
        var error = BifrostError(
            status: try readInt(), type: try readString(), code: try readOptionalString(), param: try readOptionalString(),
            message: try readString(), headers: try readHeaders())
        switch try readByte() {
        case 0: error.source = .gateway
        case 1: error.source = .plugin(try readString())
        case 2: error.source = .provider(try readString())
        default: throw .unknownTag
        }
        error.fallbacksTried = try readArray { (reader) throws(WorkerProtocolError) in try reader.readString() }
        return error
    }

    mutating func readOutcome() throws(WorkerProtocolError) -> ChatOutcome {
        switch try readByte() {
        case 0: return .response(try readResponse())
        case 1: return .failure(try readError())
        default: throw .unknownTag
        }
    }

    mutating func readChunk() throws(WorkerProtocolError) -> ChatChunk {
        let id = try readString()
        let created = try readInt()
        let provider = try readString()
        let model = try readString()
        let choices = try readArray { (reader) throws(WorkerProtocolError) in
            ChunkChoice(
                index: try reader.readInt(), role: try reader.readOptionalString(), content: try reader.readOptionalString(),
                finishReason: try reader.readOptionalString(), extra: try reader.readJSONObject(),
                choiceExtra: try reader.readJSONObject())
        }
        let usage = try readBool() ? try readUsage() : nil
        return ChatChunk(
            id: id, created: created, provider: provider, model: model, choices: choices, usage: usage,
            extra: try readJSONObject())
    }

    mutating func readContextValue() throws(WorkerProtocolError) -> ContextValue {
        switch try readByte() {
        case 0: return .bool(try readBool())
        case 1: return .number(try readDouble())
        case 2: return .string(try readString())
        case 3: return .json(try readString())
        default: throw .unknownTag
        }
    }
}
