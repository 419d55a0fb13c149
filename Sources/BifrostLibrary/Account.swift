public import BifrostCore

/// Where ``Bifrost`` learns which providers exist, their keys and their settings.
///
/// The embedding program implements it: read a vault, a database, the environment, or the
/// gateway's configuration file (`ConfigurationFileAccount` in `BifrostGateway`). Bifrost
/// reads the account once, when it starts; the keys it returns are the ones rotated over
/// (after a 401, 403 or 429 the next attempt uses another key).
///
/// ```swift
/// struct MyAccount: Account {
///     func configuredProviders() async throws -> [String] { ["openai", "mock"] }
///     func keys(for provider: String) async throws -> [APIKey] {
///         provider == "openai" ? [APIKey(id: "openai#0", secret: "sk-…")] : []
///     }
///     func settings(for provider: String) async throws -> ProviderSettings {
///         provider == "openai"
///             ? ProviderSettings(name: "openai", kind: .openai, baseURL: "https://api.openai.com/v1")
///             : ProviderSettings(name: "mock", kind: .mock, baseURL: "")
///     }
/// }
/// ```
public protocol Account: Sendable {
    /// The names of the providers to serve, e.g. `["openai", "mock"]`; the prefix of `provider/model`.
    ///
    /// ```swift
    /// func configuredProviders() async throws -> [String] { ["openai", "mock"] }
    /// ```
    func configuredProviders() async throws -> [String]

    /// The keys of one provider; empty for a provider without authentication. Replaces
    /// whatever keys ``settings(for:)`` carries.
    ///
    /// ```swift
    /// func keys(for provider: String) async throws -> [APIKey] {
    ///     [APIKey(id: "\(provider)#0", secret: try await vault.secret(provider))]
    /// }
    /// ```
    func keys(for provider: String) async throws -> [APIKey]

    /// The settings of one provider: kind, base URL, models, timeouts, retries, fallbacks, limits.
    /// The returned settings' `name` is replaced by `provider`.
    ///
    /// ```swift
    /// func settings(for provider: String) async throws -> ProviderSettings {
    ///     ProviderSettings(name: provider, kind: .openai, baseURL: "https://api.openai.com/v1", models: ["gpt-4o-mini"])
    /// }
    /// ```
    func settings(for provider: String) async throws -> ProviderSettings
}
