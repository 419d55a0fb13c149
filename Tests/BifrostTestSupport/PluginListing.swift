/// `/api/plugins` as tests compare it: each plugin's `loaded_at` (a time that differs from run
/// to run) replaced by `"<time>"` once it has the form `YYYY-MM-DDTHH:MM:SSZ`.
///
/// ```swift
/// #expect(PluginListing.normalized(response.text) == #"{"generation":1,…"loaded_at":"<time>",…}"#)
/// ```
public enum PluginListing {
    /// `text` with every well-formed `loaded_at` value replaced; a malformed one is left as it is.
    public static func normalized(_ text: String) -> String {
        let key = #""loaded_at":""#
        var result = ""
        var rest = Substring(text)
        while let found = rest.range(of: key) {
            result += rest[..<found.upperBound]
            rest = rest[found.upperBound...]
            let value = rest.prefix(20)
            if value.count == 20, value.last == "Z", value.dropLast().allSatisfy({ "0123456789-:T".contains($0) }) {
                result += "<time>"
                rest = rest.dropFirst(20)
            }
        }
        return result + rest
    }
}
