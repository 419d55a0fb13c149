import BifrostCore
import CBifrostPlugin

/// Per-request state behind every handle a native plugin receives.
///
/// Handles are this object's address with the handle kind in the low bits, so a handle of
/// the wrong kind is caught. While a hook runs, the request or outcome is moved into the
/// session (no copy) and moved back when the hook returns; after that the session is closed
/// and any handle touched again is refused. Hooks of one request run one after another, so
/// the session needs no lock; a plugin that uses a handle from another thread while its
/// hook is still running breaks the ABI contract.
final class NativeSession: @unchecked Sendable {
    enum Phase { case closed, preHook, postHook }
    enum OutcomeKind { case empty, response, error }

    unowned let context: RequestContext
    var phase = Phase.closed
    var request: ChatRequest = NativeSession.placeholderRequest
    var outcomeKind = OutcomeKind.empty
    var response: ChatResponse = NativeSession.placeholderResponse
    var error: BifrostError = NativeSession.placeholderError
    /// The first contract violation or reported fault of the running hook.
    var fault: String?
    var arena = BorrowArena()

    init(context: RequestContext) { self.context = context }

    deinit { arena.release() }

    static let placeholderRequest = ChatRequest(provider: "", model: "", messages: [])
    static let placeholderResponse = ChatResponse(provider: "", model: "")
    static let placeholderError = BifrostError(status: 500, type: "", message: "")

    /// The session of `context`, created on first use.
    static func of(_ context: RequestContext) -> NativeSession {
        context.attachment(NativeSession.self) { NativeSession(context: context) }
    }

    // MARK: Hook lifetime

    func open(_ phase: Phase) {
        self.phase = phase
        fault = nil
        arena.reset()
    }

    func close() {
        phase = .closed
        outcomeKind = .empty
        response = Self.placeholderResponse
        error = Self.placeholderError
    }

    /// Records a contract violation; the first one wins.
    func recordFault(_ message: String) {
        if fault == nil { fault = message }
    }

    /// Moves the outcome into the session.
    func takeOutcome(_ outcome: inout ChatOutcome) {
        var taken = ChatOutcome.failure(Self.placeholderError)
        swap(&taken, &outcome)
        switch consume taken {
        case .response(let value):
            outcomeKind = .response
            response = value
        case .failure(let value):
            outcomeKind = .error
            error = value
        }
    }

    /// Moves the outcome out of the session; `nil` when the hook left it empty.
    func giveOutcome() -> ChatOutcome? {
        switch outcomeKind {
        case .empty: return nil
        case .response:
            var value = Self.placeholderResponse
            swap(&value, &response)
            return .response(value)
        case .error:
            var value = Self.placeholderError
            swap(&value, &error)
            return .failure(value)
        }
    }

    // MARK: Handles

    enum HandleKind: UInt {
        case context = 1
        case request = 2
        case outcome = 3
        case response = 4
        case error = 5

        var name: String {
            switch self {
            case .context: "context"
            case .request: "request"
            case .outcome: "outcome"
            case .response: "response"
            case .error: "error"
            }
        }
    }

    func handle(_ kind: HandleKind) -> OpaquePointer {
        OpaquePointer(bitPattern: UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque()) | kind.rawValue)!
    }

    /// Resolves a handle to its session if it is of the expected kind and its hook is running.
    static func resolve(_ handle: OpaquePointer?, _ kind: HandleKind, _ function: StaticString) -> NativeSession? {
        guard let handle else { return nil }
        let bits = UInt(bitPattern: handle)
        let tag = bits & 0xF
        guard let base = UnsafeRawPointer(bitPattern: bits & ~0xF) else { return nil }
        let session = Unmanaged<NativeSession>.fromOpaque(base).takeUnretainedValue()
        guard tag == kind.rawValue else {
            let actual = HandleKind(rawValue: tag)?.name ?? "unknown"
            session.recordFault("\(function) was given a \(actual) handle, expected a \(kind.name) handle")
            return nil
        }
        guard session.phase != .closed else {
            NativeHost.lateHandleUse(function: function, requestID: session.context.requestID)
            return nil
        }
        if kind == .request, session.phase != .preHook {
            session.recordFault("\(function): the request handle is only valid in a PreHook")
            return nil
        }
        return session
    }
}

/// Memory for strings handed to a plugin, valid until the hook returns.
///
/// Strings are copied into chunks that never move, so every pointer handed out during a
/// hook stays valid until the next reset.
struct BorrowArena {
    private static let chunkSize = 4096
    private var chunk: UnsafeMutableRawPointer?
    private var used = 0
    private var overflow: [UnsafeMutableRawPointer] = []

    mutating func reset() {
        used = 0
        if !overflow.isEmpty {
            for block in overflow { block.deallocate() }
            overflow.removeAll(keepingCapacity: true)
        }
    }

    mutating func release() {
        reset()
        chunk?.deallocate()
        chunk = nil
    }

    /// Copies the bytes and returns a pointer that lives until the next reset.
    mutating func borrow(_ bytes: UnsafeRawBufferPointer) -> bifrost_str {
        let count = bytes.count
        guard count > 0, let source = bytes.baseAddress else { return bifrost_str(ptr: BorrowArena.empty, len: 0) }
        let destination: UnsafeMutableRawPointer
        if count > Self.chunkSize / 4 {
            destination = .allocate(byteCount: count, alignment: 1)
            overflow.append(destination)
        } else {
            if chunk == nil { chunk = .allocate(byteCount: Self.chunkSize, alignment: 8) }
            if used + count > Self.chunkSize {
                // The chunk is full: retire it to the overflow list (freed at reset) and start anew.
                overflow.append(chunk!)
                chunk = .allocate(byteCount: Self.chunkSize, alignment: 8)
                used = 0
            }
            destination = chunk! + used
            used += count
        }
        destination.copyMemory(from: source, byteCount: count)
        return bifrost_str(ptr: destination.assumingMemoryBound(to: CChar.self), len: count)
    }

    mutating func borrow(_ string: String) -> bifrost_str {
        if let result = string.utf8.withContiguousStorageIfAvailable({ borrow(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var copy = string
        return copy.withUTF8 { borrow(UnsafeRawBufferPointer($0)) }
    }

    mutating func borrow(_ bytes: [UInt8]) -> bifrost_str {
        bytes.withUnsafeBytes { borrow($0) }
    }

    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return UnsafePointer(pointer)
    }()
}
