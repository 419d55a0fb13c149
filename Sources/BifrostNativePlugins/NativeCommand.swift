import BifrostCore
import CBifrostPlugin
import CFFI

#if canImport(Glibc)
    import Glibc
#endif

/// One command of a native plugin with the libffi call interface built for it at load, kept
/// for the plugin's life: a call marshals the checked arguments and goes through `ffi_call`.
///
/// The only code that touches libffi (PluginSDK/DESIGN.md §3: the function is called as
/// `R (*)(void *instance, A1..An)`).
final class NativeCommand: @unchecked Sendable {
    // Immutable after init; the function and instance belong to the plugin, which promises
    // thread-safe commands (bifrost_plugin.h, bifrost_command_fn).
    let declaration: PluginCommandDeclaration
    private let function: bifrost_command_fn
    private let release: bifrost_release_result_fn?
    private let instance: UnsafeMutableRawPointer?
    private let cif: UnsafeMutablePointer<ffi_cif>
    private let argumentTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>

    /// Builds the call interface; `nil` when libffi refuses it (it does not for the ABI's types).
    init?(
        declaration: PluginCommandDeclaration, function: bifrost_command_fn, release: bifrost_release_result_fn?,
        instance: UnsafeMutableRawPointer?
    ) {
        self.declaration = declaration
        self.function = function
        self.release = release
        self.instance = instance
        let count = declaration.arguments.count + 1
        argumentTypes = .allocate(capacity: count)
        argumentTypes[0] = bifrost_ffi_type_pointer()
        for (index, argument) in declaration.arguments.enumerated() {
            argumentTypes[index + 1] = Self.ffiType(argument.type)
        }
        cif = .allocate(capacity: 1)
        let status = bifrost_ffi_prep_cif(cif, UInt32(count), Self.ffiType(declaration.result), argumentTypes)
        guard status == FFI_OK else {
            cif.deallocate()
            argumentTypes.deallocate()
            return nil
        }
    }

    deinit {
        cif.deallocate()
        argumentTypes.deallocate()
    }

    private static func ffiType(_ type: PluginValueType) -> UnsafeMutablePointer<ffi_type> {
        switch type {
        case .void: bifrost_ffi_type_void()
        case .int64: bifrost_ffi_type_sint64()
        case .double: bifrost_ffi_type_double()
        case .bool: bifrost_ffi_type_sint32()
        case .string: bifrost_ffi_type_pointer()
        }
    }

    /// Calls the function with `arguments`, which match the declaration (bound by
    /// ``BifrostCore/PluginCommandDeclaration/bind(_:plugin:)``): strings as NUL-terminated
    /// copies freed after the call, a string result copied and then handed to `release_result`.
    func call(_ arguments: [PluginCommandValue]) -> PluginCommandValue {
        precondition(arguments.count == declaration.arguments.count, "arguments not bound to the declaration")
        let count = arguments.count + 1
        // One 8-byte slot per argument (instance first) and 16 bytes for the result: libffi
        // widens integral results narrower than a register to ffi_arg.
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count + 2) { slots in
            withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: count) { pointers in
                var copies: [UnsafeMutablePointer<CChar>] = []
                defer { for copy in copies { free(copy) } }
                let base = UnsafeMutableRawPointer(slots.baseAddress!)
                base.storeBytes(of: instance, as: UnsafeMutableRawPointer?.self)
                pointers[0] = base
                for (index, value) in arguments.enumerated() {
                    let slot = base + 8 * (index + 1)
                    slot.storeBytes(of: 0, as: UInt64.self)
                    switch value {
                    case .int64(let number): slot.storeBytes(of: number, as: Int64.self)
                    case .double(let number): slot.storeBytes(of: number, as: Double.self)
                    case .bool(let flag): slot.storeBytes(of: flag ? 1 : 0, as: Int32.self)
                    case .string(let text):
                        let copy = strdup(text)!
                        copies.append(copy)
                        slot.storeBytes(of: UnsafePointer(copy), as: UnsafePointer<CChar>.self)
                    case .null: slot.storeBytes(of: nil, as: UnsafeRawPointer?.self)
                    }
                    pointers[index + 1] = slot
                }
                let result = base + 8 * count
                result.storeBytes(of: 0, as: UInt64.self)
                (result + 8).storeBytes(of: 0, as: UInt64.self)
                ffi_call(cif, function, result, pointers.baseAddress)
                return self.result(at: result)
            }
        }
    }

    private func result(at pointer: UnsafeMutableRawPointer) -> PluginCommandValue {
        switch declaration.result {
        case .void: return .null
        case .int64: return .int64(pointer.load(as: Int64.self))
        case .double: return .double(pointer.load(as: Double.self))
        // An int32 widened to ffi_arg: the low 32 bits are the value; any non-zero is true.
        case .bool: return .bool(Int32(truncatingIfNeeded: pointer.load(as: Int64.self)) != 0)
        case .string:
            guard let text = pointer.load(as: UnsafePointer<CChar>?.self) else { return .null }
            let copy = String(decoding: UnsafeRawBufferPointer(start: text, count: strlen(text)), as: UTF8.self)
            release?(instance, text)
            return .string(copy)
        }
    }
}
