/// The plugin chain generation a request ran on, as its answer names it.
///
/// One tag is made per generation, header value included, so naming the generation on an
/// answer formats nothing per request.
///
/// ```swift
/// if let tag = context.chainGeneration { print(ChainGenerationTag.headerName, tag.headerValue) }
/// ```
public final class ChainGenerationTag: Sendable {
    /// The response header naming the generation on every answer that ran through a chain.
    public static let headerName = "x-bifrost-chain-generation"
    /// The key of the generation in the chain's log lines' metadata.
    public static let logKey = "chain_generation"

    /// The generation's number: 1 at start, one more for each reload that took over.
    public let number: UInt64
    /// The number as the header's value.
    public let headerValue: String

    /// Creates the tag of generation `number`.
    public init(number: UInt64) {
        self.number = number
        headerValue = String(number)
    }
}
