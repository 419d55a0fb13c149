import BifrostCore
import CBifrostPlugin

extension NativeHost {
    static func installChunkServices(_ api: inout bifrost_host_api) {
        api.chunk_choice_count = { handle, out in
            guard let session = NativeSession.resolve(handle, .chunk, "chunk_choice_count") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "chunk_choice_count") else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = session.chunk.choices.count
            return BIFROST_OK
        }
        api.chunk_get_content = { handle, index, out in
            guard let session = NativeSession.resolve(handle, .chunk, "chunk_get_content") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkIndex(index, in: session.chunk.choices.count, "choices", session, "chunk_get_content") else {
                return BIFROST_ERR_OUT_OF_RANGE
            }
            guard session.allows(NativeHost.messageContent), let content = session.chunk.choices[index].content else {
                return BIFROST_ERR_NOT_FOUND
            }
            return NativeHost.give(content, out, session, "chunk_get_content")
        }
        api.chunk_set_content = { handle, index, value in
            guard let session = NativeSession.resolve(handle, .chunk, "chunk_set_content") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkIndex(index, in: session.chunk.choices.count, "choices", session, "chunk_set_content") else {
                return BIFROST_ERR_OUT_OF_RANGE
            }
            guard let content = NativeHost.decode(value, session, "chunk_set_content", "content") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            session.chunk.choices[index].content = content
            return BIFROST_OK
        }
        api.chunk_get_finish_reason = { handle, index, out in
            guard let session = NativeSession.resolve(handle, .chunk, "chunk_get_finish_reason") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkIndex(index, in: session.chunk.choices.count, "choices", session, "chunk_get_finish_reason")
            else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let reason = session.chunk.choices[index].finishReason else { return BIFROST_ERR_NOT_FOUND }
            return NativeHost.give(reason, out, session, "chunk_get_finish_reason")
        }
        api.chunk_get_usage = { handle, out in
            guard let session = NativeSession.resolve(handle, .chunk, "chunk_get_usage") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "chunk_get_usage") else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard let usage = session.chunk.usage else { return BIFROST_ERR_NOT_FOUND }
            out.pointee = bifrost_usage(usage)
            return BIFROST_OK
        }
        api.chunk_get_model = { handle, out in
            NativeHost.getString(handle, .chunk, out, "chunk_get_model") { $0.chunk.model }
        }
    }
}
