import BifrostCore
import BifrostTestSupport
import Testing

@Suite("a plugin's context keys, ASCII or not, read back as they were written")
struct ContextKeyTests {
    @Test("ASCII keys short and long, a UTF-8 key and the empty key hold their values; near misses are absent")
    func keysOfEveryShapeHoldTheirValues() async throws {
        let plugin = try await loadZoo("context_keys.c", name: "context-keys-1.so", defines: ["MODE": "1"])
        let context = RequestContext()
        let outcome = await runChain([plugin], context: context)
        #expect(outcome.response != nil, "\(outcome)")
        #expect(context["keys.checked"] == .bool(true))
        #expect(context["keys.ключ"] == .string("utf-8"))
        #expect(context["keys.a-key-longer-than-sixteen-bytes"] == .string("long"))
    }

    @Test("a key that is not UTF-8 is refused with a fault that names the call")
    func aKeyThatIsNotUTF8IsRefused() async throws {
        let plugin = try await loadZoo("context_keys.c", name: "context-keys-2.so", defines: ["MODE": "2"])
        let error = try #require(await runChain([plugin]).error)
        #expect(error.status == 500)
        #expect(error.message.contains("context_get: key is not valid UTF-8"), "\(error.message)")
    }
}
