#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's environment variables, where secrets written `env.NAME` come from.
///
/// ```swift
/// let key = ProcessEnvironment.variables()["OPENAI_API_KEY"]
/// ```
public enum ProcessEnvironment {
    /// Every variable of the process's environment as name → value.
    public static func variables() -> [String: String] {
        var variables: [String: String] = [:]
        #if canImport(Darwin)
            guard var pointer = _NSGetEnviron()?.pointee else { return [:] }
        #else
            var pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = environ
        #endif
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if variables[name] == nil { variables[name] = String(text[text.index(after: equals)...]) }
            }
            pointer += 1
        }
        return variables
    }
}
