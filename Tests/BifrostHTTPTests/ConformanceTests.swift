import BifrostCore
import BifrostHTTP
import BifrostProviders
import BifrostTestSupport
import Foundation
import Testing

/// One recorded exchange of `Conformance/`, written from the providers' API references: what
/// the client sends, what the upstream answers, and for a translation what the client must get.
struct ConformanceCase: Sendable, CustomTestStringConvertible {
    /// The file's stem.
    let name: String
    let fields: JSONObject

    var testDescription: String { name }
    var client: WireFormat {
        switch fields["client"]?.stringValue {
        case "anthropic": .anthropicMessages
        case "responses": .openAIResponses
        default: .openAIChat
        }
    }
    /// The upstream's format: an OpenAI-compatible upstream answers a Responses client in the Responses API.
    var upstream: WireFormat {
        switch fields["upstream"]?.stringValue {
        case "anthropic": .anthropicMessages
        case "openai" where client == .openAIResponses: .openAIResponses
        default: .openAIChat
        }
    }
    /// Whether the built-in mock answers, with no upstream.
    var upstreamIsMock: Bool { fields["upstream"]?.stringValue == "mock" }
    /// The route the client posts to.
    var path: String {
        switch client {
        case .anthropicMessages: "/anthropic/v1/messages"
        case .openAIResponses: "/v1/responses"
        default: "/v1/chat/completions"
        }
    }
    var request: JSONObject { fields["request"]?.objectValue ?? [:] }
    var isStreamed: Bool { fields["upstream_events"] != nil }
    var upstreamStatus: Int { fields["upstream_status"]?.intValue ?? 200 }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Conformance")

    static let all: [ConformanceCase] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { file in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path),
                case .object(let fields)? = try? JSONValue.parse(Array(data))
            else { return nil }
            return ConformanceCase(name: String(file.dropLast(5)), fields: fields)
        }
    }()

    /// The upstream's events as server-sent-event text, each `data` on one line as written.
    var upstreamEventTexts: [String] {
        (fields["upstream_events"]?.arrayValue ?? []).map { event in
            var text = ""
            if let name = event.objectField("event")?.stringValue { text += "event: \(name)\n" }
            let data = event.objectField("data") ?? .null
            text += "data: \(data.stringValue ?? compact(data))\n\n"
            return text
        }
    }
}

/// `value` as compact JSON: members in their order, numbers as written.
func compact(_ value: JSONValue) -> String {
    var writer = JSONWriter()
    writer.value(value)
    return writer.text
}

/// Whether `actual` holds everything `expected` does (objects may have more members; arrays
/// match element by element and have the same length), with a path to the first difference.
func contains(_ actual: JSONValue?, _ expected: JSONValue, path: String = "$") -> String? {
    switch (actual, expected) {
    case (.object(let have)?, .object(let want)):
        for member in want {
            if let difference = contains(have[member.key], member.value, path: "\(path).\(member.key)") { return difference }
        }
        return nil
    case (.array(let have)?, .array(let want)):
        guard have.count == want.count else { return "\(path): \(have.count) elements, expected \(want.count)" }
        for (index, element) in want.enumerated() {
            if let difference = contains(have[index], element, path: "\(path)[\(index)]") { return difference }
        }
        return nil
    default:
        return actual == expected ? nil : "\(path): got \(actual.map(compact) ?? "nothing"), expected \(compact(expected))"
    }
}

/// What an OpenAI client's stream amounts to, as the SDK's accumulator builds it.
func accumulateOpenAI(_ events: [JSONValue]) -> JSONValue {
    var content: String?
    var reasoning: String?
    var role = "assistant"
    var finishReason: JSONValue = .null
    var calls: [Int: (id: String, name: String, arguments: String)] = [:]
    var usage: JSONValue = .null
    for event in events {
        if let counts = event.objectField("usage"), counts != .null { usage = counts }
        for choice in event.objectField("choices")?.arrayValue ?? [] {
            let delta = choice.objectField("delta")
            if let text = delta?.objectField("role")?.stringValue { role = text }
            if let text = delta?.objectField("content")?.stringValue { content = (content ?? "") + text }
            if let text = delta?.objectField("reasoning_content")?.stringValue { reasoning = (reasoning ?? "") + text }
            if let reason = choice.objectField("finish_reason"), reason != .null { finishReason = reason }
            for (position, call) in (delta?.objectField("tool_calls")?.arrayValue ?? []).enumerated() {
                let index = call.objectField("index")?.intValue ?? position
                var entry = calls[index] ?? ("", "", "")
                if let id = call.objectField("id")?.stringValue { entry.id = id }
                if let name = call.objectField("function")?.objectField("name")?.stringValue { entry.name += name }
                entry.arguments += call.objectField("function")?.objectField("arguments")?.stringValue ?? ""
                calls[index] = entry
            }
        }
    }
    var message: JSONObject = ["role": .string(role), "content": content.map { .string($0) } ?? .null]
    if let reasoning { message["reasoning_content"] = .string(reasoning) }
    if !calls.isEmpty {
        message["tool_calls"] = .array(
            calls.keys.sorted().map { index in
                let call = calls[index]!
                return [
                    "id": .string(call.id), "type": "function",
                    "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                ]
            })
    }
    return ["choices": [["index": 0, "message": .object(message), "finish_reason": finishReason]], "usage": usage]
}

/// What an Anthropic client's stream amounts to, as the SDK's accumulator builds it.
func accumulateAnthropic(_ events: [JSONValue]) -> JSONValue {
    var message: JSONObject = [:]
    var blocks: [JSONObject] = []
    var partial: [Int: String] = [:]
    for event in events {
        switch event.objectField("type")?.stringValue {
        case "message_start":
            message = event.objectField("message")?.objectValue ?? [:]
        case "content_block_start":
            blocks.append(event.objectField("content_block")?.objectValue ?? [:])
        case "content_block_delta":
            let index = event.objectField("index")?.intValue ?? 0
            guard blocks.indices.contains(index), let delta = event.objectField("delta") else { continue }
            for (key, field) in [("text", "text"), ("thinking", "thinking"), ("signature", "signature")] {
                if let piece = delta.objectField(field)?.stringValue {
                    blocks[index][key] = .string((blocks[index][key]?.stringValue ?? "") + piece)
                }
            }
            if let piece = delta.objectField("partial_json")?.stringValue { partial[index, default: ""] += piece }
        case "content_block_stop":
            let index = event.objectField("index")?.intValue ?? 0
            if let text = partial[index], blocks.indices.contains(index) { blocks[index]["input"] = try? JSONValue.parse(text) }
        case "message_delta":
            for member in event.objectField("delta")?.objectValue ?? [:] { message[member.key] = member.value }
            var usage = message["usage"]?.objectValue ?? [:]
            for member in event.objectField("usage")?.objectValue ?? [:] { usage[member.key] = member.value }
            message["usage"] = .object(usage)
        default:
            break
        }
    }
    message["content"] = .array(blocks.map { .object($0) })
    return .object(message)
}

/// What a Responses API client's stream amounts to, as the SDK's `responses.stream` state
/// builds it from the deltas (items added, parts added, text, refusals and arguments appended), with the
/// status and usage of the final event; checks that `sequence_number`s count up from the first.
func accumulateResponses(_ events: [JSONValue]) throws -> JSONValue {
    var response: JSONObject = [:]
    var output: [JSONObject] = []
    let numbers = events.compactMap { $0.objectField("sequence_number")?.intValue }
    #expect(numbers.count == events.count && numbers == Array(numbers.first.map { $0..<($0 + numbers.count) } ?? 0..<0))
    func append(_ piece: JSONValue?, to field: String, of list: String?, at index: Int?, in item: inout JSONObject) {
        guard let piece = piece?.stringValue else { return }
        guard let list, let index else {
            item[field] = .string((item[field]?.stringValue ?? "") + piece)
            return
        }
        var elements = item[list]?.arrayValue ?? []
        guard elements.indices.contains(index), case .object(var element) = elements[index] else { return }
        element[field] = .string((element[field]?.stringValue ?? "") + piece)
        elements[index] = .object(element)
        item[list] = .array(elements)
    }
    for event in events {
        let outputIndex = event.objectField("output_index")?.intValue ?? 0
        let hasItem = output.indices.contains(outputIndex)
        switch event.objectField("type")?.stringValue {
        case "response.created":
            response = event.objectField("response")?.objectValue ?? [:]
        case "response.output_item.added":
            output.append(event.objectField("item")?.objectValue ?? [:])
        case "response.content_part.added" where hasItem:
            output[outputIndex]["content"] = .array(
                (output[outputIndex]["content"]?.arrayValue ?? []) + [event.objectField("part") ?? [:]])
        case "response.reasoning_summary_part.added" where hasItem:
            output[outputIndex]["summary"] = .array(
                (output[outputIndex]["summary"]?.arrayValue ?? []) + [event.objectField("part") ?? [:]])
        case "response.output_text.delta" where hasItem:
            append(
                event.objectField("delta"), to: "text", of: "content", at: event.objectField("content_index")?.intValue,
                in: &output[outputIndex])
        case "response.refusal.delta" where hasItem:
            append(
                event.objectField("delta"), to: "refusal", of: "content", at: event.objectField("content_index")?.intValue,
                in: &output[outputIndex])
        case "response.reasoning_summary_text.delta" where hasItem:
            append(
                event.objectField("delta"), to: "text", of: "summary", at: event.objectField("summary_index")?.intValue,
                in: &output[outputIndex])
        case "response.function_call_arguments.delta" where hasItem:
            append(event.objectField("delta"), to: "arguments", of: nil, at: nil, in: &output[outputIndex])
        case "response.output_item.done" where hasItem:
            output[outputIndex]["status"] = event.objectField("item")?.objectField("status")
        case "response.completed", "response.incomplete":
            let final = try #require(event.objectField("response")?.objectValue)
            response["status"] = final["status"]
            response["usage"] = final["usage"]
            #expect(final["output"] == .array(output.map { .object($0) }), "response.completed's output is what the deltas built")
        default:
            break
        }
    }
    response["output"] = .array(output.map { .object($0) })
    return .object(response)
}

@Suite("conformance corpus: recorded exchanges through the gateway")
struct ConformanceTests {
    @Test("the corpus is there", .tags())
    func corpusIsThere() {
        #expect(ConformanceCase.all.count >= 40)
        #expect(ConformanceCase.all.filter { $0.client == .openAIResponses }.count >= 15)
    }

    @Test(arguments: ConformanceCase.all)
    func exchange(_ exchange: ConformanceCase) async throws {
        let events = exchange.upstreamEventTexts
        let responseBody = exchange.fields["upstream_response"].map(compact) ?? "{}"
        let status = exchange.upstreamStatus
        let upstream = try await FakeUpstream.start { _ in
            events.isEmpty ? .json(status: status, body: responseBody) : .sse(chunks: events)
        }
        let http = UpstreamHTTPClient()
        let settings = ProviderSettings(
            name: "up", kind: exchange.upstream == .openAIChat ? .openai : .anthropic, baseURL: upstream.baseURL,
            retry: .init(maxAttempts: 1))
        let provider: any Provider =
            if exchange.upstreamIsMock {
                MockProvider(name: "up")
            } else if exchange.upstream == .anthropicMessages {
                AnthropicProvider(settings: settings, httpClient: http)
            } else {
                OpenAIProvider(settings: settings, httpClient: http)
            }
        let bifrost = try await makeBifrost(providers: [provider])
        let path = exchange.path
        let body = Array(compact(.object(exchange.request)).utf8)
        let received: [JSONValue]
        let answerStatus: Int
        (received, answerStatus) = try await withServer(bifrost) { client, _ in
            if exchange.isStreamed || exchange.request["stream"] == true {
                return try await client.withEventStream("POST", path, body: body) { stream in
                    let all = try await stream.collect()
                    return (try all.map { $0.data == "[DONE]" ? .string("[DONE]") : try $0.json() }, stream.status)
                }
            }
            let response = try await client.postJSON(path, String(decoding: body, as: UTF8.self))
            return ([try response.json()], response.status)
        }
        await upstream.stop()
        await http.shutdown()

        if exchange.client == exchange.upstream {
            let sent = try #require(upstream.requests.first, "the upstream got no request")
            if exchange.client == .openAIResponses { #expect(sent.path == "/v1/responses") }
            var expected = exchange.request
            expected["model"] = .string(String(expected["model"]?.stringValue?.dropFirst(3) ?? ""))
            #expect(String(decoding: sent.body, as: UTF8.self) == compact(.object(expected)), "upstream body")
            if exchange.isStreamed {
                let upstreamEvents = (exchange.fields["upstream_events"]?.arrayValue ?? []).map {
                    $0.objectField("data") ?? .null
                }
                #expect(received.map(compact) == upstreamEvents.map(compact), "events")
            } else {
                #expect(answerStatus == status)
                #expect(received.map(compact) == [responseBody], "answer")
            }
        } else {
            if let expectedBody = exchange.fields["expect_upstream"] {
                let sent = try #require(upstream.requests.first, "the upstream got no request")
                let difference = contains(try JSONValue.parse(sent.body), expectedBody)
                #expect(difference == nil, "upstream body: \(difference ?? "")")
            }
            if let expectedStatus = exchange.fields["expect_status"]?.intValue {
                #expect(answerStatus == expectedStatus)
                #expect(upstream.requests.isEmpty, "a refused request reached the upstream")
            }
            let answer: JSONValue =
                switch (exchange.isStreamed || exchange.request["stream"] == true, exchange.client) {
                case (false, _): received.first ?? .null
                case (true, .openAIChat): accumulateOpenAI(received)
                case (true, .openAIResponses): try accumulateResponses(received)
                case (true, _): accumulateAnthropic(received)
                }
            let expected = try #require(exchange.fields["expect_client"])
            let difference = contains(answer, expected)
            #expect(difference == nil, "\(difference ?? "") in \(compact(answer))")
        }
    }

    @Test("embeddings from an OpenAI-compatible upstream reach a client that asked for floats as they came")
    func embeddingsPassThrough() async throws {
        let answer =
            #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292,1e-7,-0]}],"#
            + #""model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8},"x_vendor":{"n":1.50}}"#
        let upstream = try await FakeUpstream.start { _ in .json(body: answer) }
        let http = UpstreamHTTPClient()
        let provider = OpenAIProvider(
            settings: ProviderSettings(name: "up", kind: .openai, baseURL: upstream.baseURL, retry: .init(maxAttempts: 1)),
            httpClient: http)
        let bifrost = try await makeBifrost(providers: [provider])
        let body = try await withServer(bifrost) { client, _ in
            try await client.postJSON(
                "/v1/embeddings", #"{"model":"up/text-embedding-3-small","input":"hi","user":"u-1","dimensions":3}"#
            ).text
        }
        await upstream.stop()
        await http.shutdown()
        #expect(body == answer)
        #expect(
            upstream.requests.first?.text == #"{"model":"text-embedding-3-small","input":["hi"],"user":"u-1","dimensions":3}"#)
    }
}
