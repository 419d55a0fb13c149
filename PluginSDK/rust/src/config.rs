//! The plugin's configuration. On a host of ABI 1.6 or later it is read through the host's
//! parsed view (`config_root` and the `config_*` lookups, see `config_view.rs`); the bytes
//! `bifrost_plugin_create` receives are parsed here only for an older host and for tests of a
//! plugin's `create` without a host.

use crate::config_view::HostView;
use std::fmt;

/// A parsed JSON value. Objects keep their keys in order; a repeated key's last value wins.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as a double.
    Number(f64),
    /// A string, escapes decoded.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object's members, in order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses JSON text (RFC 8259: one value, surrounded by optional whitespace).
    pub fn parse(text: &str) -> Result<Json, ConfigError> {
        let mut parser = Parser { bytes: text.as_bytes(), position: 0, depth: 0 };
        parser.skip_whitespace();
        let value = parser.value()?;
        parser.skip_whitespace();
        if parser.position != parser.bytes.len() {
            return Err(parser.error("unexpected content after the JSON value"));
        }
        Ok(value)
    }

    /// An object's member; `None` for another kind or a missing key.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?.iter().rev().find(|(name, _)| name == key).map(|(_, value)| value)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(number) => Some(*number),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members in order, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    /// What kind of value this is, for messages: `a string`, `an object`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Why a configuration cannot be used; its `Display` is the refusal the operator reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    message: String,
}

impl ConfigError {
    /// A refusal with this message, e.g. `aliases.fast: expected "provider/model", got "echo"`.
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError { message: message.into() }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for String {
    fn from(error: ConfigError) -> String {
        error.message
    }
}

/// The configuration bytes `bifrost_plugin_create` received (the sidecar file, or the
/// `config` of the plugin's entry in the gateway's config file).
#[derive(Clone, Copy)]
pub struct Config<'a> {
    bytes: &'a [u8],
    view: Option<HostView>,
}

impl fmt::Debug for Config<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config").field("bytes", &self.bytes).field("host_view", &self.view.is_some()).finish()
    }
}

impl<'a> Config<'a> {
    /// Wraps configuration bytes (for tests of a plugin's `create` without a host).
    pub fn new(bytes: &'a [u8]) -> Self {
        Config { bytes, view: None }
    }

    /// The configuration of a create call: the host's parsed view when the host has one.
    pub(crate) fn from_host(bytes: &'a [u8], view: Option<HostView>) -> Self {
        Config { bytes, view }
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The bytes as UTF-8 text.
    pub fn text(&self) -> Result<&'a str, ConfigError> {
        std::str::from_utf8(self.bytes)
            .map_err(|error| ConfigError::new(format!("invalid configuration: not UTF-8 at byte {}", error.valid_up_to())))
    }

    /// The configuration as JSON: the host's parsed document on a 1.6 host, else the bytes
    /// parsed here; a refusal says `invalid configuration: not valid JSON (…)`.
    pub fn json(&self) -> Result<Json, ConfigError> {
        if let Some(view) = self.view {
            return view.read();
        }
        Json::parse(self.text()?)
            .map_err(|error| ConfigError::new(format!("invalid configuration: not valid JSON ({})", error.message)))
    }
}

// Deep nesting would recurse without bound on hostile input; no configuration needs more.
const MAX_DEPTH: usize = 128;

struct Parser<'t> {
    bytes: &'t [u8],
    position: usize,
    depth: usize,
}

impl<'t> Parser<'t> {
    fn error(&self, what: &str) -> ConfigError {
        ConfigError::new(format!("{} at byte {}", what, self.position))
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.position) {
            self.position += 1;
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, ConfigError> {
        if self.bytes[self.position..].starts_with(word.as_bytes()) {
            self.position += word.len();
            Ok(value)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn value(&mut self) -> Result<Json, ConfigError> {
        match self.bytes.get(self.position) {
            None => Err(self.error("unexpected end of input")),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn nested(&mut self, parse: fn(&mut Self) -> Result<Json, ConfigError>) -> Result<Json, ConfigError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn expect(&mut self, byte: u8) -> Result<(), ConfigError> {
        if self.bytes.get(self.position) == Some(&byte) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", byte as char)))
        }
    }

    fn object(&mut self) -> Result<Json, ConfigError> {
        self.position += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.position) == Some(&b'}') {
            self.position += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.position) != Some(&b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            members.push((key, self.value()?));
            self.skip_whitespace();
            match self.bytes.get(self.position) {
                Some(b',') => self.position += 1,
                Some(b'}') => {
                    self.position += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self) -> Result<Json, ConfigError> {
        self.position += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.position) == Some(&b']') {
            self.position += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value()?);
            self.skip_whitespace();
            match self.bytes.get(self.position) {
                Some(b',') => self.position += 1,
                Some(b']') => {
                    self.position += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Json, ConfigError> {
        let start = self.position;
        if self.bytes.get(self.position) == Some(&b'-') {
            self.position += 1;
        }
        match self.bytes.get(self.position) {
            Some(b'0') => self.position += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit")),
        }
        if self.bytes.get(self.position) == Some(&b'.') {
            self.position += 1;
            if !matches!(self.bytes.get(self.position), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.position) {
            self.position += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.position) {
                self.position += 1;
            }
            if !matches!(self.bytes.get(self.position), Some(b'0'..=b'9')) {
                return Err(self.error("expected a digit in the exponent"));
            }
            self.digits();
        }
        // The grammar above admits only ASCII that Rust's float parser accepts.
        let text = std::str::from_utf8(&self.bytes[start..self.position]).map_err(|_| self.error("invalid number"))?;
        let number: f64 = text.parse().map_err(|_| self.error("invalid number"))?;
        if number.is_finite() {
            Ok(Json::Number(number))
        } else {
            Err(self.error("number out of range"))
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.bytes.get(self.position) {
            self.position += 1;
        }
    }

    fn string(&mut self) -> Result<String, ConfigError> {
        self.position += 1;
        let mut text = String::new();
        loop {
            let start = self.position;
            while let Some(&byte) = self.bytes.get(self.position) {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.position += 1;
            }
            // The input is a &str and the run stops only at ASCII, so it is whole UTF-8.
            text.push_str(std::str::from_utf8(&self.bytes[start..self.position]).map_err(|_| self.error("invalid UTF-8"))?);
            match self.bytes.get(self.position) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.position += 1;
                    return Ok(text);
                }
                Some(b'\\') => {
                    self.position += 1;
                    self.escape(&mut text)?;
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    fn escape(&mut self, text: &mut String) -> Result<(), ConfigError> {
        let byte = *self.bytes.get(self.position).ok_or_else(|| self.error("unterminated escape"))?;
        self.position += 1;
        let decoded = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low one (RFC 8259 §7).
                    if !self.bytes[self.position..].starts_with(b"\\u") {
                        return Err(self.error("unpaired surrogate"));
                    }
                    self.position += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("unpaired surrogate"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate"))?
            }
            _ => return Err(self.error("invalid escape")),
        };
        text.push(decoded);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ConfigError> {
        let digits = self.bytes.get(self.position..self.position + 4).ok_or_else(|| self.error("short \\u escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("invalid \\u escape"))?;
        let value = u32::from_str_radix(text, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.position += 4;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_in_order() {
        let json = Json::parse(r#" {"b": [1, -2.5e2, true, false, null], "a": {"x": "y"}} "#).unwrap();
        let members = json.as_object().unwrap();
        assert_eq!(members.iter().map(|(key, _)| key.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(
            json.get("b").unwrap().as_array().unwrap(),
            &[Json::Number(1.0), Json::Number(-250.0), Json::Bool(true), Json::Bool(false), Json::Null]
        );
        assert_eq!(json.get("a").unwrap().get("x").unwrap().as_str(), Some("y"));
        assert_eq!(json.get("missing"), None);
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let json = Json::parse(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(json.as_str(), Some("a\"\\/\u{8}\u{c}\n\r\té😀"));
        assert_eq!(Json::parse("\"é\"").unwrap().as_str(), Some("é"));
    }

    #[test]
    fn a_repeated_key_reads_its_last_value() {
        assert_eq!(Json::parse(r#"{"k": 1, "k": 2}"#).unwrap().get("k"), Some(&Json::Number(2.0)));
    }

    #[test]
    fn refuses_malformed_input_with_the_byte_position() {
        let cases = [
            ("", "unexpected end of input at byte 0"),
            ("{", "expected a string key at byte 1"),
            (r#"{"a" 1}"#, "expected ':' at byte 5"),
            (r#"{"a": 1,}"#, "expected a string key at byte 8"),
            ("[1 2]", "expected ',' or ']' at byte 3"),
            ("01", "unexpected content after the JSON value at byte 1"),
            ("1.", "expected a digit after '.' at byte 2"),
            ("1e999", "number out of range at byte 5"),
            ("tru", "invalid literal at byte 0"),
            ("\"abc", "unterminated string at byte 4"),
            ("\"a\nb\"", "control character in string at byte 2"),
            (r#""\x""#, "invalid escape at byte 3"),
            (r#""\ud800x""#, "unpaired surrogate at byte 7"),
            ("{} {}", "unexpected content after the JSON value at byte 3"),
        ];
        for (text, message) in cases {
            assert_eq!(Json::parse(text).unwrap_err().message(), message, "input {:?}", text);
        }
    }

    #[test]
    fn refuses_nesting_beyond_the_limit() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(Json::parse(&deep).unwrap_err().message(), format!("nested too deeply at byte {}", MAX_DEPTH));
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Json::parse(&fine).is_ok());
    }

    #[test]
    fn config_reports_json_and_utf8_problems_as_refusals() {
        assert_eq!(Config::new(b"{}").json().unwrap(), Json::Object(Vec::new()));
        assert_eq!(
            Config::new(b"{\"a\"}").json().unwrap_err().message(),
            "invalid configuration: not valid JSON (expected ':' at byte 4)"
        );
        assert_eq!(Config::new(b"{\xff}").text().unwrap_err().message(), "invalid configuration: not UTF-8 at byte 1");
    }

    #[test]
    fn kinds_name_values_for_messages() {
        let kinds: Vec<&str> =
            ["null", "true", "1", "\"s\"", "[]", "{}"].iter().map(|text| Json::parse(text).unwrap().kind()).collect();
        assert_eq!(kinds, ["null", "a boolean", "a number", "a string", "an array", "an object"]);
    }
}
