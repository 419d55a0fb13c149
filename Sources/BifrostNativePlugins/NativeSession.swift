import BifrostCore
import CBifrostHostSupport
import CBifrostPlugin

#if canImport(Glibc)
    import Glibc
#endif

/// The state behind every handle a native plugin receives during one hook call.
///
/// Handles are this object's address with the handle kind in the low bits and the hook call's
/// generation in the high bits. A handle is honoured only on the thread whose hook it was given
/// to, during that very hook call, and only for its kind: a garbage value, another thread's
/// handle (a plugin's own thread writing into someone else's request) or one kept from an
/// earlier call is refused before anything is dereferenced. While a hook runs, the session points at the request in place,
/// or holds the outcome moved into it (no copy) until the hook returns; then the session is
/// closed and a handle touched again is refused.
///
/// A hook call is synchronous, so it starts and ends on one thread: each thread keeps one
/// session and reuses it for every hook it runs. That costs no allocation and no lock per
/// call, and the memory behind a stale handle stays valid (it is refused, not undefined)
/// until the thread exits.
final class NativeSession {
    enum Phase { case closed, preHook, postHook, chunkHook }
    enum OutcomeKind { case empty, response, error }

    // Unowned: the caller holds the context for the whole hook call; no refcounting per call.
    private(set) unowned(unsafe) var context: RequestContext?
    var phase = Phase.closed
    /// Counts this thread's hook calls (16 bits, in the handles' high bits).
    private(set) var generation: UInt = 0
    /// The PreHook's request, in place: valid only while the hook runs.
    var requestPointer: UnsafeMutablePointer<ChatRequest>?
    var request: ChatRequest {
        _read { yield requestPointer!.pointee }
        _modify { yield &requestPointer!.pointee }
    }
    /// The chunk hook's chunk, in place: valid only while the hook runs.
    var chunkPointer: UnsafeMutablePointer<ChatChunk>?
    var chunk: ChatChunk {
        _read { yield chunkPointer!.pointee }
        _modify { yield &chunkPointer!.pointee }
    }
    /// The PostHook's outcome, in place. It is moved into the session only when the plugin
    /// first touches the response or error, so a hook that only reads the context costs nothing.
    var outcomePointer: UnsafeMutablePointer<ChatOutcome>?
    private var outcomeLoaded = true
    private var loadedKind = OutcomeKind.empty
    private var storedResponse: ChatResponse = NativeSession.placeholderResponse
    private var storedError: BifrostError = NativeSession.placeholderError

    var outcomeKind: OutcomeKind {
        get {
            if !outcomeLoaded, let outcomePointer {
                if case .response = outcomePointer.pointee { return .response }
                return .error
            }
            return loadedKind
        }
        set {
            load()
            loadedKind = newValue
        }
    }

    var response: ChatResponse {
        _read {
            load()
            yield storedResponse
        }
        _modify {
            load()
            yield &storedResponse
        }
    }

    var error: BifrostError {
        _read {
            load()
            yield storedError
        }
        _modify {
            load()
            yield &storedError
        }
    }

    /// Marks the outcome as still living behind `outcomePointer`.
    func outcomeIsInPlace() { outcomeLoaded = false }

    /// Whether the outcome was moved into the session and must be written back.
    var outcomeWasLoaded: Bool { outcomeLoaded && outcomePointer != nil }

    private func load() {
        guard !outcomeLoaded else { return }
        outcomeLoaded = true
        guard let outcomePointer else { return }
        var taken = ChatOutcome.failure(Self.placeholderError)
        swap(&taken, &outcomePointer.pointee)
        switch consume taken {
        case .response(let value):
            loadedKind = .response
            storedResponse = value
        case .failure(let value):
            loadedKind = .error
            storedError = value
        }
    }
    /// The `BIFROST_CAPABILITY_*` bits of the plugin whose hook runs (all bits for a plugin
    /// built before ABI 1.6): accessors of sensitive data test one bit of it, no lookup.
    private(set) var capabilities: UInt64 = .max
    /// The first contract violation or reported fault of the running hook.
    var fault: String?
    /// How long a PreHook asked to wait before it runs again (`outcome_set_wait`).
    var waitNanoseconds: UInt64?
    // Unowned: the plugin runs this hook, so it outlives the call; no refcounting per call.
    /// The plugin whose hook runs, under whose name its host operations are recorded.
    private(set) unowned(unsafe) var plugin: NativePlugin?
    /// The running hook's host operations; created by the first one it calls.
    var operations: HostOperationCursor?
    /// The result of the host operation the running hook repeated last.
    var lastResult: HostOperationResult?
    var arena = BorrowArena()

    deinit { arena.release() }

    static let placeholderResponse = ChatResponse(provider: "", model: "")
    static let placeholderError = BifrostError(status: 500, type: "", message: "")

    /// This thread's session, created on the thread's first hook and kept until the thread exits.
    static var current: NativeSession {
        if let raw = bifrost_host_thread_session() {
            return Unmanaged<NativeSession>.fromOpaque(raw).takeUnretainedValue()
        }
        return makeThreadSession()
    }

    private static func makeThreadSession() -> NativeSession {
        let session = NativeSession()
        let raw = Unmanaged.passRetained(session).toOpaque()
        bifrost_host_set_thread_session(raw)
        bifrost_host_prepare_thread_for_faults()
        // The pthread key only releases the session when the thread exits.
        pthread_setspecific(releaseKey, raw)
        return session
    }

    private static let releaseKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            if let raw { Unmanaged<NativeSession>.fromOpaque(raw).release() }
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// This thread's session if a hook is running on it.
    static var running: NativeSession? {
        guard let raw = bifrost_host_thread_session() else { return nil }
        let session = Unmanaged<NativeSession>.fromOpaque(raw).takeUnretainedValue()
        return session.phase == .closed ? nil : session
    }

    /// The request's context while a hook runs.
    var currentContext: RequestContext { context! }

    // MARK: Hook lifetime

    func open(_ phase: Phase, context: RequestContext, capabilities: UInt64, plugin: NativePlugin) {
        self.phase = phase
        self.capabilities = capabilities
        self.plugin = plugin
        generation = (generation &+ 1) & Self.generationMask
        self.context = context
        if _slowPath(fault != nil) { fault = nil }
        if _slowPath(waitNanoseconds != nil) { waitNanoseconds = nil }
        if _slowPath(operations != nil) { operations = nil }
        arena.reset()
    }

    func close() {
        phase = .closed
        context = nil
        requestPointer = nil
        chunkPointer = nil
        outcomePointer = nil
        outcomeLoaded = true
        loadedKind = .empty
    }

    /// Whether the running hook's plugin declared `capability` (a `BIFROST_CAPABILITY_*` bit).
    @inline(__always)
    func allows(_ capability: UInt64) -> Bool { capabilities & capability != 0 }

    /// Records a contract violation; the first one wins.
    func recordFault(_ message: String) {
        if fault == nil { fault = message }
    }

    /// Moves the outcome out of the session; `nil` when the hook left it empty.
    func giveOutcome() -> ChatOutcome? {
        switch loadedKind {
        case .empty: return nil
        case .response:
            var value = Self.placeholderResponse
            swap(&value, &storedResponse)
            return .response(value)
        case .error:
            var value = Self.placeholderError
            swap(&value, &storedError)
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
        case chunk = 6

        var name: String {
            switch self {
            case .context: "context"
            case .request: "request"
            case .outcome: "outcome"
            case .response: "response"
            case .error: "error"
            case .chunk: "chunk"
            }
        }
    }

    func handle(_ kind: HandleKind) -> OpaquePointer {
        Self.handle(baseHandle, kind)
    }

    /// This session's address and the running call's generation, the base every handle is built on.
    var baseHandle: UInt {
        UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque()) | generation << Self.generationShift
    }

    /// User-space addresses fit in the low 48 bits; the generation takes the 16 above them.
    static let generationShift: UInt = 48
    static let generationMask: UInt = 0xFFFF
    static let addressMask: UInt = ((1 << generationShift) - 1) & ~0xF

    @inline(__always)
    static func handle(_ base: UInt, _ kind: HandleKind) -> OpaquePointer {
        OpaquePointer(bitPattern: base | kind.rawValue).unsafelyUnwrapped
    }

    /// Resolves a handle to its session if it is of the expected kind and was given to the hook
    /// running on this thread now. Nothing is dereferenced before the handle is known to be the
    /// calling thread's own session.
    static func resolve(_ handle: OpaquePointer?, _ kind: HandleKind, _ function: StaticString) -> NativeSession? {
        guard let handle else { return nil }
        let bits = UInt(bitPattern: handle)
        let tag = bits & 0xF
        guard let raw = bifrost_host_thread_session(), UInt(bitPattern: raw) == bits & addressMask else {
            if let running {
                running.recordFault("\(function) was given a handle that is not one of this hook's")
            } else {
                NativeHost.foreignHandleUse(function: function)
            }
            return nil
        }
        let session = Unmanaged<NativeSession>.fromOpaque(raw).takeUnretainedValue()
        guard bits >> generationShift == session.generation else {
            if session.phase == .closed {
                NativeHost.lateHandleUse(function: function)
            } else {
                session.recordFault("\(function) was given a handle of an earlier hook call; handles are valid only in their own")
            }
            return nil
        }
        guard tag == kind.rawValue else {
            let actual = HandleKind(rawValue: tag)?.name ?? "unknown"
            session.recordFault("\(function) was given a \(actual) handle, expected a \(kind.name) handle")
            return nil
        }
        guard session.phase != .closed else {
            NativeHost.lateHandleUse(function: function)
            return nil
        }
        switch kind {
        case .request where session.phase != .preHook:
            session.recordFault("\(function): the request handle is only valid in a PreHook")
            return nil
        case .chunk where session.phase != .chunkHook:
            session.recordFault("\(function): the chunk handle is only valid in a ChunkHook")
            return nil
        case .response where session.outcomeKind != .response:
            session.recordFault("\(function): the outcome no longer holds a response")
            return nil
        case .error where session.outcomeKind != .error:
            session.recordFault("\(function): the outcome no longer holds an error")
            return nil
        default:
            return session
        }
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

    /// Copies `strings` (the descriptors, not the bytes they point to) into memory aligned for
    /// them that lives until the next reset.
    mutating func borrow(_ strings: [bifrost_str]) -> UnsafePointer<bifrost_str>? {
        guard !strings.isEmpty else { return nil }
        let destination = UnsafeMutablePointer<bifrost_str>.allocate(capacity: strings.count)
        destination.initialize(from: strings, count: strings.count)
        overflow.append(UnsafeMutableRawPointer(destination))
        return UnsafePointer(destination)
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
