public import BifrostPluginSDK

/// Maps short model names to `provider/model` names before dispatch (`fast` to `mock/echo`)
/// and names the alias used in the answer's `x-bifrost-model-alias` header: the Swift build of
/// `ExamplePlugins/model-alias` (C) and `model-alias-rust`, answering the same case file.
///
/// Configuration: `{"aliases": {"fast": "mock/echo", "openai/gpt-4": "mock/echo"}}`.
///
/// ```swift
/// let plugin = try ModelAlias(configuration: PluginConfiguration(text: #"{"aliases": {"fast": "mock/echo"}}"#))
/// plugin.aliases["fast"]  // ("mock", "echo")
/// ```
public struct ModelAlias: PreHookPlugin, PostHookPlugin {
    /// `model-alias-swift`.
    public static let name = "model-alias-swift"
    /// The plugin's version.
    public static let version = "1.0.0"
    /// The context key carrying the alias from the PreHook to the PostHook.
    public static let contextKey = "model-alias.from"
    /// The answer header naming the alias.
    public static let header = "x-bifrost-model-alias"

    /// Each alias and the provider and model it stands for.
    public let aliases: [String: (provider: String, model: String)]

    struct Configuration: Decodable {
        var aliases: [String: String]?
    }

    /// Reads the aliases; refuses unknown fields and targets not written `provider/model`.
    public init(configuration: PluginConfiguration) throws {
        try configuration.rejectUnknownKeys(known: ["aliases"])
        guard let given = try configuration.decode(Configuration.self).aliases else {
            throw PluginConfigurationError(
                #"invalid configuration: missing "aliases": expected {"aliases": {"name": "provider/model"}}"#)
        }
        var aliases: [String: (provider: String, model: String)] = [:]
        for (from, target) in given {
            guard let slash = target.firstIndex(of: "/"), slash != target.startIndex,
                target.index(after: slash) != target.endIndex
            else {
                throw PluginConfigurationError(
                    #"invalid configuration: aliases.\#(from): expected "provider/model", got "\#(target)""#)
            }
            aliases[from] = (String(target[..<slash]), String(target[target.index(after: slash)...]))
        }
        self.aliases = aliases
        configuration.logger.log(.info, "\(aliases.count) alias(es) configured")
    }

    /// Rewrites an aliased model, written alone (`fast`) or like `provider/model`.
    public func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        let provider = try request.provider
        let model = try request.model
        let asked = provider.isEmpty ? model : provider + "/" + model
        guard let target = aliases[asked] else { return .continue }
        try context.set(Self.contextKey, .string(asked))
        try request.setProvider(target.provider)
        try request.setModel(target.model)
        return .continue
    }

    /// Names the alias on a response.
    public func postHook(outcome: HookOutcome, context: HookContext) throws {
        guard let from = try context[Self.contextKey]?.stringValue, let response = try outcome.response else { return }
        try response.setHeader(Self.header, from)
    }
}
