import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Testing

@Suite("GET endpoints and routing")
struct GatewayEndpointsTests {
    @Test("/health answers {\"status\":\"ok\"}")
    func health() async throws {
        try await withServer { client, _ in
            let response = try await client.get("/health")
            #expect(response.status == 200)
            #expect(response.text == #"{"status":"ok"}"#)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["content-length"] == "15")
            #expect(response.headers["x-request-id"]?.hasPrefix("req-") == true)
        }
    }

    @Test("/v1/models lists every provider/model in OpenAI's list shape")
    func models() async throws {
        let bifrost = try await makeBifrost(providers: [MockProvider(), MockProvider(name: "other")])
        try await withServer(bifrost) { client, _ in
            let response = try await client.get("/v1/models")
            #expect(response.status == 200)
            #expect(
                response.text
                    == #"{"object":"list","data":["#
                    + #"{"id":"mock/echo","object":"model","created":0,"owned_by":"mock"},"#
                    + #"{"id":"mock/fail","object":"model","created":0,"owned_by":"mock"},"#
                    + #"{"id":"mock/embed","object":"model","created":0,"owned_by":"mock"},"#
                    + #"{"id":"other/echo","object":"model","created":0,"owned_by":"other"},"#
                    + #"{"id":"other/fail","object":"model","created":0,"owned_by":"other"},"#
                    + #"{"id":"other/embed","object":"model","created":0,"owned_by":"other"}]}"#)
        }
    }

    @Test("/api/plugins lists the chain in order with descriptors and policies")
    func plugins() async throws {
        let bifrost = try await makeBifrost([
            ChainEntry(RejectingPlugin()),
            ChainEntry(NativeLookingPlugin()),
            ChainEntry(FaultingPlugin(name: "faulty"), failurePolicy: .failOpen),
        ])
        try await withServer(bifrost) { client, _ in
            let response = try await client.get("/api/plugins")
            #expect(response.status == 200)
            #expect(
                PluginListing.normalized(response.text)
                    == #"{"generation":1,"last_reload":null,"plugins":["#
                    + #"{"name":"limiter","version":"1.2.3","kind":"swift","abi_version":null,"file":null,"#
                    + #""content_hash":null,"generation":1,"loaded_at":"<time>","#
                    + #""hooks":["pre_hook"],"capabilities":["credentials","message_content","tool_calls"],"failure_policy":"fail_closed","hook_deadline_ms":1000,"isolation":"in_process","state_store":null,"position":0,"state":"enabled","scope":null,"commands":[]},"#
                    + #"{"name":"native-one","version":"2.0.0","kind":"native","abi_version":"1.0","#
                    + #""file":"/plugins/native-one.so","content_hash":null,"generation":1,"loaded_at":"<time>","#
                    + #""hooks":["pre_hook","post_hook"],"capabilities":["credentials","message_content","tool_calls"],"failure_policy":"fail_open","hook_deadline_ms":1000,"isolation":"in_process","state_store":null,"position":1,"state":"enabled","scope":null,"commands":[]},"#
                    + #"{"name":"faulty","version":"0.0.1","kind":"swift","abi_version":null,"file":null,"#
                    + #""content_hash":null,"generation":1,"loaded_at":"<time>","#
                    + #""hooks":["pre_hook","post_hook"],"capabilities":["credentials","message_content","tool_calls"],"failure_policy":"fail_open","hook_deadline_ms":1000,"isolation":"in_process","state_store":null,"position":2,"state":"enabled","scope":null,"commands":[]}]}"#
            )
        }
    }

    @Test("/api/plugins with an empty chain")
    func noPlugins() async throws {
        try await withServer { client, _ in
            let response = try await client.get("/api/plugins")
            #expect(response.text == #"{"generation":1,"last_reload":null,"plugins":[]}"#)
        }
    }

    @Test("an unknown route is a 404 unknown_route naming method and path")
    func unknownRoute() async throws {
        try await withServer { client, _ in
            let response = try await client.send("DELETE", "/v2/nothing?x=1")
            #expect(response.status == 404)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["x-request-id"] != nil)
            let error = try errorFields(response)
            #expect(error["type"] == "invalid_request_error")
            #expect(error["code"] == "unknown_route")
            #expect(error["param"] == .null)
            #expect(error["message"]?.stringValue?.contains("DELETE /v2/nothing") == true)
        }
    }

    @Test("a known path with the wrong method is a 405 with allow")
    func wrongMethod() async throws {
        try await withServer { client, _ in
            let getChat = try await client.get("/v1/chat/completions")
            #expect(getChat.status == 405)
            #expect(getChat.headers["allow"] == "POST")
            #expect(try errorFields(getChat)["code"] == "method_not_allowed")

            let postHealth = try await client.postJSON("/health", "{}")
            #expect(postHealth.status == 405)
            #expect(postHealth.headers["allow"] == "GET")
            #expect(try errorFields(postHealth)["message"]?.stringValue?.contains("POST") == true)

            for path in ["/v1/models", "/api/plugins"] {
                let response = try await client.send("PUT", path, body: [])
                #expect(response.status == 405)
                #expect(response.headers["allow"] == "GET")
            }
        }
    }

    @Test("the query string is not part of the route")
    func queryIgnored() async throws {
        try await withServer { client, _ in
            let health = try await client.get("/health?verbose=1")
            #expect(health.status == 200)
            let models = try await client.get("/v1/models?limit=1#x")
            #expect(models.status == 200)
        }
    }
}
