extension JSONValue {
    /// Parses a client's request body; text that is not JSON is a 400 saying where it breaks.
    ///
    /// ```swift
    /// let value = try JSONValue.parseRequestBody(body)
    /// ```
    public static func parseRequestBody(_ bytes: some Collection<UInt8>) throws(BifrostError) -> JSONValue {
        do {
            return try parse(bytes)
        } catch {
            throw .invalidRequest("request body is not valid JSON: \(error)", code: "invalid_json")
        }
    }

    /// The top-level fields of a request body; anything but an object is a 400.
    ///
    /// ```swift
    /// var fields = try JSONValue.parseRequestBody(body).requestFields()
    /// ```
    public func requestFields() throws(BifrostError) -> JSONObject {
        guard case .object(let fields) = self else {
            throw .invalidRequest("request body must be a JSON object, got \(kindDescription)")
        }
        return fields
    }
}

extension JSONObject {
    /// Removes and returns the required `model` field, `provider/model` as clients write it;
    /// missing or not a non-empty string is a 400 that shows `example`.
    ///
    /// ```swift
    /// let qualified = try fields.takeModel(example: "mock/echo")
    /// ```
    public mutating func takeModel(example: String) throws(BifrostError) -> String {
        guard let value = removeValue(forKey: "model") else {
            throw .invalidRequest("missing required field 'model' (write it as provider/model, e.g. \(example))", param: "model")
        }
        guard case .string(let model) = value, !model.isEmpty else {
            throw .invalidRequest("'model' must be a non-empty string, got \(value.kindDescription)", param: "model")
        }
        return model
    }

    /// Removes and returns the required, non-empty array `messages`; otherwise a 400.
    ///
    /// ```swift
    /// let messages = try fields.takeMessages()
    /// ```
    public mutating func takeMessages() throws(BifrostError) -> [JSONValue] {
        guard let value = removeValue(forKey: "messages") else {
            throw .invalidRequest("missing required field 'messages'", param: "messages")
        }
        guard case .array(let messages) = value, !messages.isEmpty else {
            throw .invalidRequest("'messages' must be a non-empty array, got \(value.kindDescription)", param: "messages")
        }
        return messages
    }
}
