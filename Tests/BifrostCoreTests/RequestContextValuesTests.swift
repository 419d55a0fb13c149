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
}
