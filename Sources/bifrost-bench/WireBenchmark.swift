import BifrostCore
import BifrostProviders
import BifrostWire

#if canImport(Glibc)
    import Glibc
#endif

/// Measures the per-request wire work of a chat completion, without HTTP: reading the client's
/// request, writing the upstream body, splitting the upstream URL, reading the upstream's answer
/// and writing the client's. Thread CPU time per operation, median of 5 runs.
///
/// Usage: `bifrost-bench --wire DIR`, DIR holding `chat-request.json` and
/// `chat-completion.json` (`scripts/bench-lib`).
enum WireBenchmark {
    static func run(directory: String) throws {
        let requestBytes = try ExamplePluginCost.readFile("\(directory)/chat-request.json")
        let answerBytes = try ExamplePluginCost.readFile("\(directory)/chat-completion.json")
        let request = try ChatRequest(openAIJSON: requestBytes)
        let answer = try ChatResponse(openAIJSON: answerBytes, provider: "openai")
        var decoder = OpenAIChunkDecoder(provider: "openai", model: "gpt-4o")
        let toolCallChunk = try decoder.decode(data: Array(toolCallEvent.utf8))[0]
        let iterations = 100_000
        let rows: [(String, Double)] = [
            (
                "read the client's request (\(requestBytes.count) bytes)",
                measure(iterations) { _ = try? ChatRequest(openAIJSON: requestBytes) }
            ),
            ("write the upstream body", measure(iterations) { _ = try? request.openAIUpstreamBody(stream: false) }),
            (
                "split an upstream URL (once per provider URL, not per request)",
                measure(iterations) { _ = try? UpstreamEndpoint.parse("http://127.0.0.1:18080/v1/chat/completions") }
            ),
            (
                "read the upstream's answer (\(answerBytes.count) bytes)",
                measure(iterations) {
                    _ = try? ChatResponse(openAIJSON: answerBytes, provider: "openai")
                }
            ),
            ("write the client's answer", measure(iterations) { _ = answer.openAIJSON() }),
            (
                "read a streamed tool-call piece (\(toolCallEvent.utf8.count) bytes)",
                measure(iterations) {
                    var decoder = OpenAIChunkDecoder(provider: "openai", model: "gpt-4o")
                    _ = try? decoder.decode(data: Array(toolCallEvent.utf8))
                }
            ),
            (
                "write it for an OpenAI client (as it came)",
                measure(iterations) {
                    var encoder = OpenAIStreamEncoder(includeUsage: true)
                    var out: [UInt8] = []
                    encoder.encode(toolCallChunk, into: &out)
                }
            ),
            (
                "write it for an Anthropic client (translated)",
                measure(iterations) {
                    var encoder = AnthropicStreamEncoder()
                    _ = encoder.encode(toolCallChunk)
                }
            ),
        ]
        print("| operation | ns |")
        print("|---|---:|")
        for (name, nanoseconds) in rows { print("| \(name) | \(HookBenchmark.format(nanoseconds)) |") }
    }

    /// One `tool_calls` delta of a streamed agent turn, as OpenAI sends it.
    static let toolCallEvent =
        #"{"id":"chatcmpl-B9","object":"chat.completion.chunk","created":1741569953,"model":"gpt-4o","#
        + #""choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]},"#
        + #""logprobs":null,"finish_reason":null}],"usage":null,"service_tier":"default","system_fingerprint":"fp_44709d6fcb"}"#

    /// Thread CPU ns per call of `operation`, median of 5 runs.
    static func measure(_ iterations: Int, _ operation: () -> Void) -> Double {
        var samples: [Double] = []
        for _ in 0..<5 {
            let start = ExamplePluginCost.threadCPUNanoseconds()
            for _ in 0..<iterations { operation() }
            samples.append(Double(ExamplePluginCost.threadCPUNanoseconds() - start) / Double(iterations))
        }
        return samples.sorted()[2]
    }
}
