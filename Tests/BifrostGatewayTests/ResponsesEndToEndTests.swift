import BifrostCore
import BifrostGateway
import BifrostTestSupport
import Testing

@Suite("End to end: POST /v1/responses through a real .so plugin")
struct ResponsesEndToEndTests {
    @Test("the C model-alias plugin routes a Responses request, whole and streamed", arguments: [false, true])
    func modelAliasRoutesAResponsesRequest(streamed: Bool) async throws {
        let directory = try PluginDirectory()
        try await directory.modelAlias()
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let response = try await client.postJSON(
                "/v1/responses", #"{"model":"fast","input":"Hello","stream":\#(streamed)}"#)
            #expect(response.status == 200)
            #expect(response.headers["x-bifrost-provider"] == "mock")
            // The plugin names the alias in its PostHook, which on a stream runs after the head
            // is sent, as on chat completions; the stream's head names the route the client asked for.
            #expect(response.headers["x-bifrost-model-alias"] == (streamed ? nil : "fast"))
            #expect(response.headers["x-bifrost-model"] == (streamed ? "fast" : "echo"))
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(text.contains(streamed ? #""delta":"Echo:""# : #""text":"Echo: Hello""#), "\(text)")
        }
    }
}
