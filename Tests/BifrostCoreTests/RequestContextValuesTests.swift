import BifrostCore
import Testing

@Suite("a request context's values, few or many")
struct RequestContextValuesTests {
    @Test("set, replaced, removed and listed, below and past the list's limit", arguments: [3, 16, 17, 200])
    func valuesKeepTheirKeys(count: Int) {
        let context = RequestContext()
        for index in 0..<count { context["key.\(index)"] = .number(Double(index)) }
        for index in 0..<count { context["key.\(index)"] = .string("v\(index)") }
        context["key.0"] = nil
        #expect(context["key.0"] == nil)
        for index in 1..<count { #expect(context["key.\(index)"] == .string("v\(index)")) }
        #expect(context.allValues.count == count - 1)
        #expect(context["absent"] == nil)
    }

    @Test("a key read as its UTF-8 bytes finds what its String finds", arguments: [3, 16, 17, 200])
    func valuesReadByTheirKeysBytes(count: Int) {
        let context = RequestContext()
        context[""] = .bool(true)
        for index in 0..<count { context["plugin.key.\(index)"] = .number(Double(index)) }
        func read(_ key: String) -> ContextValue? {
            Array(key.utf8).withUnsafeBufferPointer { context[utf8: $0] }
        }
        for index in 0..<count { #expect(read("plugin.key.\(index)") == .number(Double(index))) }
        #expect(read("") == .bool(true))
        #expect(read("plugin.key.") == nil)
        #expect(read("plugin.key.\(count)") == nil)
        #expect(read("plugin.key.0x") == nil)
        #expect(read("Plugin.key.0") == nil)
    }
}
