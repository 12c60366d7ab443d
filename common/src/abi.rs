//! Contract ABIs: the `zr_abi` custom section the SDK's macros write into every contract (one JSON object a
//! line: methods, events, record types), its checks, and the argument encoding it describes, to and from JSON.
//!
//! The VM refuses code whose section breaks a rule here ([`Abi::parse`] is part of the deploy rules, so it
//! must stay deterministic and bounded); `zr call`, `zr query`, `zr tx`, the test kit and the RPC use the
//! same parser to encode arguments and decode results and events by name.
//!
//! The encoding (the SDK's `codec`): integers little-endian at their width, `bool` one byte (0 or 1), an
//! `Address` 20 bytes, `[T; N]` its items, `&[u8]`/`Vec<u8>` and `&str`/`String` and `Vec<T>` a `u32` count
//! then the items, `Option<T>` a tag byte (0, or 1 then the value), a tuple or record its fields in order.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::Address;

/// The name of the custom section holding a contract's ABI.
pub const SECTION: &str = "zr_abi";
/// The largest ABI section accepted at upload.
pub const MAX_ABI_LEN: usize = 32 * 1024;
/// The most items (methods, events and types together) an ABI may declare.
pub const MAX_ITEMS: usize = 256;
/// The deepest a type may nest (`Vec<Option<[u8; 4]>>` is 3), records included.
pub const MAX_TYPE_DEPTH: usize = 8;
/// The largest fixed array length a type may declare.
pub const MAX_ARRAY_LEN: usize = 4096;

/// Why an ABI, a type or a value was refused. The message names the item and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AbiError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, AbiError> {
    Err(AbiError(message.into()))
}

/// A type in the encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbiType {
    /// `()`: no bytes.
    Unit,
    /// One byte, 0 or 1.
    Bool,
    /// An unsigned integer of this many bits.
    Unsigned(u32),
    /// A signed integer of this many bits.
    Signed(u32),
    /// A 20-byte address.
    Address,
    /// A byte string: `u32` length then the bytes.
    Bytes,
    /// A UTF-8 string: `u32` length then the bytes.
    String,
    /// `N` items.
    Array(Box<AbiType>, usize),
    /// A `u32` count then the items.
    List(Box<AbiType>),
    /// A tag byte then, for 1, the value.
    Option(Box<AbiType>),
    /// Fields in order.
    Tuple(Vec<AbiType>),
    /// A record the ABI declares.
    Record(String),
}

impl AbiType {
    /// Parses a type as the SDK writes it (Rust syntax). A `Result<T, E>` is `T`: its error aborts the call.
    pub fn parse(text: &str) -> Result<AbiType, AbiError> {
        let mut parser = TypeParser { text, pos: 0 };
        let ty = parser.ty(0)?;
        parser.skip_space();
        if parser.pos != text.len() {
            return fail(format!("type `{text}`: unexpected `{}`", &text[parser.pos..]));
        }
        Ok(ty)
    }
}

struct TypeParser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> TypeParser<'a> {
    fn skip_space(&mut self) {
        while self.text[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.text[self.pos..].starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), AbiError> {
        match self.eat(token) {
            true => Ok(()),
            false => fail(format!("type `{}`: expected `{token}` at byte {}", self.text, self.pos)),
        }
    }

    fn word(&mut self) -> &'a str {
        self.skip_space();
        let text = self.text;
        let rest = &text[self.pos..];
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn ty(&mut self, depth: usize) -> Result<AbiType, AbiError> {
        if depth > MAX_TYPE_DEPTH {
            return fail(format!("type `{}` nests deeper than {MAX_TYPE_DEPTH}", self.text));
        }
        if self.eat("&") {
            // A borrowed argument: `&[u8]`, `&str`, with an optional lifetime.
            if self.eat("'") {
                self.word();
            }
            if self.eat("[") {
                self.expect("u8")?;
                self.expect("]")?;
                return Ok(AbiType::Bytes);
            }
            return match self.word() {
                "str" => Ok(AbiType::String),
                other => fail(format!("type `{}`: `&{other}` cannot be an argument (only &[u8] and &str)", self.text)),
            };
        }
        if self.eat("[") {
            let item = self.ty(depth + 1)?;
            self.expect(";")?;
            let len = self.word().to_owned();
            self.expect("]")?;
            let len: usize = match len.parse() {
                Ok(len) if len <= MAX_ARRAY_LEN => len,
                _ => return fail(format!("type `{}`: array length `{len}` is not 0..={MAX_ARRAY_LEN}", self.text)),
            };
            return Ok(AbiType::Array(Box::new(item), len));
        }
        if self.eat("(") {
            let mut items = Vec::new();
            while !self.eat(")") {
                if !items.is_empty() {
                    self.expect(",")?;
                    if self.eat(")") {
                        break;
                    }
                }
                items.push(self.ty(depth + 1)?);
            }
            return Ok(if items.is_empty() { AbiType::Unit } else { AbiType::Tuple(items) });
        }
        let word = self.word().to_owned();
        let name = word.rsplit("::").next().unwrap_or_default();
        let ty = match name {
            "bool" => AbiType::Bool,
            "u8" | "u16" | "u32" | "u64" | "u128" => AbiType::Unsigned(name[1..].parse().unwrap_or(0)),
            "i8" | "i16" | "i32" | "i64" | "i128" => AbiType::Signed(name[1..].parse().unwrap_or(0)),
            "Address" => AbiType::Address,
            "String" => AbiType::String,
            "Vec" => {
                self.expect("<")?;
                let item = self.ty(depth + 1)?;
                self.expect(">")?;
                match item {
                    AbiType::Unsigned(8) => AbiType::Bytes,
                    item => AbiType::List(Box::new(item)),
                }
            }
            "Option" => {
                self.expect("<")?;
                let item = self.ty(depth + 1)?;
                self.expect(">")?;
                AbiType::Option(Box::new(item))
            }
            "Result" => {
                self.expect("<")?;
                let ok = self.ty(depth + 1)?;
                // `Result<T>`: a contract's own alias with its error type fixed.
                if self.eat(">") {
                    return Ok(ok);
                }
                self.expect(",")?;
                // The error type is the contract's own: any Rust type, up to the closing `>`.
                let mut open = 1;
                while open > 0 {
                    self.skip_space();
                    match self.text[self.pos..].chars().next() {
                        Some('<') => open += 1,
                        Some('>') => open -= 1,
                        Some(_) => {}
                        None => return fail(format!("type `{}`: unclosed `Result<`", self.text)),
                    }
                    self.pos += self.text[self.pos..].chars().next().map_or(0, char::len_utf8);
                }
                ok
            }
            "" => return fail(format!("type `{}`: expected a type at byte {}", self.text, self.pos)),
            _ if is_identifier(name) && name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                AbiType::Record(name.to_owned())
            }
            _ => return fail(format!("type `{}`: `{word}` is not a type the ABI knows", self.text)),
        };
        Ok(ty)
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The contents of the custom section `name` of a wasm module, if it has one (the first, if several), or an
/// error if the module's section headers do not parse.
pub fn custom_section<'a>(code: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, AbiError> {
    fn leb(code: &[u8], pos: &mut usize) -> Result<usize, AbiError> {
        let mut value = 0usize;
        for shift in (0..35).step_by(7) {
            let byte = *code.get(*pos).ok_or_else(|| AbiError("the module ends inside a section header".into()))?;
            *pos += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        fail("a section length is longer than 5 bytes")
    }
    if code.len() < 8 || &code[..4] != b"\0asm" {
        return fail("not a wasm module");
    }
    let mut pos = 8;
    while pos < code.len() {
        let id = code[pos];
        pos += 1;
        let size = leb(code, &mut pos)?;
        let end = pos.checked_add(size).filter(|end| *end <= code.len());
        let end = end.ok_or_else(|| AbiError("a section runs past the module's end".into()))?;
        if id == 0 {
            let mut at = pos;
            let name_len = leb(code, &mut at)?;
            if at.checked_add(name_len).is_some_and(|name_end| name_end <= end)
                && &code[at..at + name_len] == name.as_bytes()
            {
                return Ok(Some(&code[at + name_len..end]));
            }
        }
        pos = end;
    }
    Ok(None)
}

/// What checking a type found: how deep it nests and the fewest bytes its encoding takes.
#[derive(Debug, Clone, Copy)]
struct Shape {
    depth: usize,
    min_size: u64,
}

/// A named, typed parameter or field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// Its type as the contract wrote it.
    #[serde(rename = "type")]
    pub type_text: String,
    /// The parsed type.
    #[serde(skip)]
    pub ty: AbiType,
}

/// A method the contract exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Method {
    /// Its name (the wasm export).
    pub name: String,
    /// Marked read-only: its writes abort.
    pub view: bool,
    /// Its parameters in order.
    pub inputs: Vec<Field>,
    /// Its result type as written.
    pub output: String,
    /// The parsed result type (a `Result`'s `Ok` type).
    #[serde(skip)]
    pub output_type: AbiType,
}

/// An event or record type: a name and fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Struct {
    /// Its name (an event's topic).
    pub name: String,
    /// Its fields in order.
    pub fields: Vec<Field>,
}

/// A contract's ABI.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Abi {
    /// Methods, in the section's order.
    pub methods: Vec<Method>,
    /// Events.
    pub events: Vec<Struct>,
    /// Record types.
    pub types: Vec<Struct>,
}

/// One line of the section, as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    kind: String,
    name: String,
    #[serde(default)]
    view: Option<bool>,
    #[serde(default)]
    inputs: Option<Vec<RawField>>,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    fields: Option<Vec<RawField>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

fn fields(owner: &str, raw: Option<Vec<RawField>>, what: &str) -> Result<Vec<Field>, AbiError> {
    let Some(raw) = raw else {
        return fail(format!("{owner}: no `{what}`"));
    };
    let mut out: Vec<Field> = Vec::with_capacity(raw.len());
    for field in raw {
        if !is_identifier(&field.name) {
            return fail(format!("{owner}: `{}` is not a field name", field.name));
        }
        if out.iter().any(|f| f.name == field.name) {
            return fail(format!("{owner}: field `{}` appears twice", field.name));
        }
        let ty = AbiType::parse(&field.ty).map_err(|e| AbiError(format!("{owner}, `{}`: {e}", field.name)))?;
        out.push(Field { name: field.name, type_text: field.ty, ty });
    }
    Ok(out)
}

impl Abi {
    /// Parses and checks a `zr_abi` section: at most [`MAX_ABI_LEN`] bytes of UTF-8, one JSON object a line,
    /// names unique within their kind, every type known and every record it names declared, records not
    /// containing themselves.
    pub fn parse(section: &[u8]) -> Result<Abi, AbiError> {
        if section.len() > MAX_ABI_LEN {
            return fail(format!("the ABI is {} bytes, more than {MAX_ABI_LEN}", section.len()));
        }
        let text = std::str::from_utf8(section).map_err(|_| AbiError("the ABI is not UTF-8".into()))?;
        let mut abi = Abi::default();
        for (number, line) in text.split('\n').enumerate().filter(|(_, line)| !line.trim().is_empty()) {
            if abi.methods.len() + abi.events.len() + abi.types.len() >= MAX_ITEMS {
                return fail(format!("the ABI declares more than {MAX_ITEMS} items"));
            }
            let line: Line =
                // The reason goes into receipts, which claims hash: it is ours, never the JSON library's text.
                serde_json::from_str(line).map_err(|_| {
                    AbiError(format!(
                        "ABI line {}: not an ABI object (`kind`, `name`, and `view`, `inputs`, `output` or `fields`)",
                        number + 1
                    ))
                })?;
            if !is_identifier(&line.name) {
                return fail(format!("ABI line {}: `{}` is not a name", number + 1, line.name));
            }
            let owner = format!("{} `{}`", line.kind, line.name);
            match line.kind.as_str() {
                "method" => {
                    if line.fields.is_some() {
                        return fail(format!("{owner}: a method has `inputs`, not `fields`"));
                    }
                    let output = line.output.ok_or_else(|| AbiError(format!("{owner}: no `output`")))?;
                    let output_type =
                        AbiType::parse(&output).map_err(|e| AbiError(format!("{owner}, its output: {e}")))?;
                    let inputs = fields(&owner, line.inputs, "inputs")?;
                    let view = line.view.ok_or_else(|| AbiError(format!("{owner}: no `view`")))?;
                    abi.methods.push(Method { name: line.name, view, inputs, output, output_type });
                }
                "event" | "type" => {
                    if line.inputs.is_some() || line.output.is_some() || line.view.is_some() {
                        return fail(format!("{owner}: only `name` and `fields`"));
                    }
                    let item = Struct { fields: fields(&owner, line.fields, "fields")?, name: line.name };
                    match line.kind.as_str() {
                        "event" => abi.events.push(item),
                        _ => abi.types.push(item),
                    }
                }
                other => return fail(format!("ABI line {}: unknown kind `{other}`", number + 1)),
            }
        }
        abi.check_names()?;
        abi.check_types()?;
        Ok(abi)
    }

    /// The ABI carried in `code`, `None` if it has none.
    pub fn of_code(code: &[u8]) -> Result<Option<Abi>, AbiError> {
        custom_section(code, SECTION)?.map(Abi::parse).transpose()
    }

    fn check_names(&self) -> Result<(), AbiError> {
        let mut seen = std::collections::BTreeSet::new();
        for name in self.methods.iter().map(|m| ("method", &m.name)) {
            if !seen.insert(name) {
                return fail(format!("method `{}` is declared twice", name.1));
            }
        }
        for name in self.events.iter().map(|e| ("event", &e.name)).chain(self.types.iter().map(|t| ("type", &t.name))) {
            if !seen.insert(name) {
                return fail(format!("{} `{}` is declared twice", name.0, name.1));
            }
        }
        Ok(())
    }

    /// Every record named is declared, no record reaches itself (its encoding would never end), types nest at
    /// most [`MAX_TYPE_DEPTH`] deep, and no list or array holds zero-sized items (their values would not be
    /// bounded by the bytes decoded). Each record is checked once and its shape remembered, so the work is
    /// linear in the ABI's size whatever its records reference.
    fn check_types(&self) -> Result<(), AbiError> {
        let all_types = self
            .methods
            .iter()
            .flat_map(|m| m.inputs.iter().map(|f| &f.ty).chain([&m.output_type]))
            .chain(self.events.iter().chain(&self.types).flat_map(|s| s.fields.iter().map(|f| &f.ty)));
        let mut shapes = BTreeMap::new();
        for ty in all_types {
            self.shape(ty, 0, &mut shapes)?;
        }
        Ok(())
    }

    /// `ty`'s shape, used at nesting `level`; `shapes` holds the records checked (`None`: being checked).
    fn shape<'a>(
        &'a self,
        ty: &'a AbiType,
        level: usize,
        shapes: &mut BTreeMap<&'a str, Option<Shape>>,
    ) -> Result<Shape, AbiError> {
        let leaf = |min_size| Ok(Shape { depth: 0, min_size });
        match ty {
            AbiType::Unit => leaf(0),
            AbiType::Bool => leaf(1),
            AbiType::Unsigned(bits) | AbiType::Signed(bits) => leaf(u64::from(*bits) / 8),
            AbiType::Address => leaf(20),
            AbiType::Bytes | AbiType::String => leaf(4),
            AbiType::Array(item, len) => {
                let item = self.shape(item, level + 1, shapes)?;
                if item.min_size == 0 && *len > 0 {
                    return fail("an array of zero-sized items");
                }
                Ok(Shape { depth: item.depth + 1, min_size: item.min_size.saturating_mul(*len as u64) })
            }
            AbiType::List(item) => {
                let item = self.shape(item, level + 1, shapes)?;
                if item.min_size == 0 {
                    return fail("a list of zero-sized items");
                }
                Ok(Shape { depth: item.depth + 1, min_size: 4 })
            }
            AbiType::Option(item) => {
                let item = self.shape(item, level + 1, shapes)?;
                Ok(Shape { depth: item.depth + 1, min_size: 1 })
            }
            AbiType::Tuple(items) => {
                let mut shape = Shape { depth: 0, min_size: 0 };
                for item in items {
                    let item = self.shape(item, level + 1, shapes)?;
                    shape.depth = shape.depth.max(item.depth + 1);
                    shape.min_size = shape.min_size.saturating_add(item.min_size);
                }
                Ok(shape)
            }
            AbiType::Record(name) => {
                let shape = match shapes.get(name.as_str()) {
                    Some(Some(shape)) => *shape,
                    Some(None) => return fail(format!("record `{name}` contains itself")),
                    None => {
                        if level > MAX_TYPE_DEPTH {
                            return fail(format!("types nest deeper than {MAX_TYPE_DEPTH} at record `{name}`"));
                        }
                        let record = self.record(name)?;
                        shapes.insert(name, None);
                        let mut shape = Shape { depth: 0, min_size: 0 };
                        for field in &record.fields {
                            let field = self.shape(&field.ty, level + 1, shapes)?;
                            shape.depth = shape.depth.max(field.depth + 1);
                            shape.min_size = shape.min_size.saturating_add(field.min_size);
                        }
                        shapes.insert(name, Some(shape));
                        shape
                    }
                };
                if level + shape.depth > MAX_TYPE_DEPTH {
                    return fail(format!("types nest deeper than {MAX_TYPE_DEPTH} at record `{name}`"));
                }
                Ok(shape)
            }
        }
    }

    fn record(&self, name: &str) -> Result<&Struct, AbiError> {
        self.types.iter().find(|t| t.name == name).ok_or_else(|| AbiError(format!("type `{name}` is not declared")))
    }

    /// The method called `name`, or an error listing the methods there are.
    pub fn method(&self, name: &str) -> Result<&Method, AbiError> {
        self.methods.iter().find(|m| m.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.methods.iter().map(|m| m.name.as_str()).collect();
            AbiError(format!("the contract has no method `{name}`; its methods: {}", names.join(", ")))
        })
    }

    /// The ABI as JSON, as the RPC serves it.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Encodes a method's arguments: `args` are either all positional (`None` names) or all named, each once.
    pub fn encode_call(&self, method: &Method, args: &[(Option<String>, Value)]) -> Result<Vec<u8>, AbiError> {
        let named = args.iter().filter(|(name, _)| name.is_some()).count();
        let signature = || {
            let params: Vec<String> = method.inputs.iter().map(|f| format!("{}: {}", f.name, f.type_text)).collect();
            format!("{}({})", method.name, params.join(", "))
        };
        let ordered: Vec<&Value> = if named == 0 {
            if args.len() != method.inputs.len() {
                return fail(format!("{} takes {} arguments, {} given", signature(), method.inputs.len(), args.len()));
            }
            args.iter().map(|(_, value)| value).collect()
        } else if named == args.len() {
            let mut by_name: BTreeMap<&str, &Value> = BTreeMap::new();
            for (name, value) in args {
                let name = name.as_deref().unwrap_or_default();
                if !method.inputs.iter().any(|f| f.name == name) {
                    return fail(format!("{} has no parameter `{name}`", signature()));
                }
                if by_name.insert(name, value).is_some() {
                    return fail(format!("argument `{name}` is given twice"));
                }
            }
            let mut ordered = Vec::new();
            for field in &method.inputs {
                match by_name.get(field.name.as_str()) {
                    Some(value) => ordered.push(*value),
                    None => return fail(format!("{}: argument `{}` is missing", signature(), field.name)),
                }
            }
            ordered
        } else {
            return fail("give every argument by name (name=value) or none");
        };
        let mut out = Vec::new();
        for (field, value) in method.inputs.iter().zip(ordered) {
            self.encode_into(&field.ty, value, &mut out)
                .map_err(|e| AbiError(format!("argument `{}` ({}): {e}", field.name, field.type_text)))?;
        }
        Ok(out)
    }

    /// Encodes `value` as `ty`.
    pub fn encode(&self, ty: &AbiType, value: &Value) -> Result<Vec<u8>, AbiError> {
        let mut out = Vec::new();
        self.encode_into(ty, value, &mut out)?;
        Ok(out)
    }

    fn encode_into(&self, ty: &AbiType, value: &Value, out: &mut Vec<u8>) -> Result<(), AbiError> {
        match ty {
            AbiType::Unit => match value {
                Value::Null => Ok(()),
                _ => fail("expected null for ()"),
            },
            AbiType::Bool => match value {
                Value::Bool(b) => {
                    out.push(u8::from(*b));
                    Ok(())
                }
                Value::String(s) if s == "true" || s == "false" => {
                    out.push(u8::from(s == "true"));
                    Ok(())
                }
                _ => fail("expected true or false"),
            },
            AbiType::Unsigned(bits) => {
                let (negative, n) = integer(value)?;
                if negative {
                    return fail(format!("-{n} is negative"));
                }
                if *bits < 128 && n >> bits != 0 {
                    return fail(format!("{n} does not fit in u{bits}"));
                }
                out.extend_from_slice(&n.to_le_bytes()[..*bits as usize / 8]);
                Ok(())
            }
            AbiType::Signed(bits) => {
                let (negative, magnitude) = integer(value)?;
                let limit = 1u128 << (bits - 1);
                if magnitude > limit || (!negative && magnitude == limit) {
                    let sign = if negative { "-" } else { "" };
                    return fail(format!("{sign}{magnitude} does not fit in i{bits}"));
                }
                // Two's complement: the magnitude's bit pattern, negated for a negative value.
                let n = if negative { (magnitude as i128).wrapping_neg() } else { magnitude as i128 };
                out.extend_from_slice(&n.to_le_bytes()[..*bits as usize / 8]);
                Ok(())
            }
            AbiType::Address => match value {
                Value::String(s) => {
                    let address: Address = s.parse().map_err(|e| AbiError(format!("`{s}` is not an address: {e}")))?;
                    out.extend_from_slice(&address.0);
                    Ok(())
                }
                _ => fail("expected an address (z1…)"),
            },
            AbiType::Bytes => {
                let bytes = hex_value(value)?;
                push_len(out, bytes.len())?;
                out.extend_from_slice(&bytes);
                Ok(())
            }
            AbiType::String => match value {
                Value::String(s) => {
                    push_len(out, s.len())?;
                    out.extend_from_slice(s.as_bytes());
                    Ok(())
                }
                _ => fail("expected a string"),
            },
            AbiType::Array(item, len) => {
                if **item == AbiType::Unsigned(8)
                    && let Value::String(_) = value
                {
                    let bytes = hex_value(value)?;
                    if bytes.len() != *len {
                        return fail(format!("expected {len} bytes, got {}", bytes.len()));
                    }
                    out.extend_from_slice(&bytes);
                    return Ok(());
                }
                let items = value.as_array().ok_or_else(|| AbiError(format!("expected an array of {len}")))?;
                if items.len() != *len {
                    return fail(format!("expected {len} items, got {}", items.len()));
                }
                items.iter().try_for_each(|v| self.encode_into(item, v, out))
            }
            AbiType::List(item) => {
                let items = value.as_array().ok_or_else(|| AbiError("expected an array".into()))?;
                push_len(out, items.len())?;
                items.iter().try_for_each(|v| self.encode_into(item, v, out))
            }
            AbiType::Option(item) => match value {
                Value::Null => {
                    out.push(0);
                    Ok(())
                }
                value => {
                    out.push(1);
                    self.encode_into(item, value, out)
                }
            },
            AbiType::Tuple(items) => {
                let values = value.as_array().filter(|v| v.len() == items.len());
                let values = values.ok_or_else(|| AbiError(format!("expected an array of {}", items.len())))?;
                items.iter().zip(values).try_for_each(|(ty, v)| self.encode_into(ty, v, out))
            }
            AbiType::Record(name) => {
                let record = self.record(name)?;
                for field in &record.fields {
                    let field_value = match value {
                        Value::Object(map) => map.get(&field.name),
                        Value::Array(items) if items.len() == record.fields.len() => {
                            record.fields.iter().position(|f| f.name == field.name).map(|i| &items[i])
                        }
                        _ => return fail(format!("expected a {name} object")),
                    };
                    let field_value =
                        field_value.ok_or_else(|| AbiError(format!("{name}: `{}` is missing", field.name)))?;
                    self.encode_into(&field.ty, field_value, out)
                        .map_err(|e| AbiError(format!("{name}.{}: {e}", field.name)))?;
                }
                Ok(())
            }
        }
    }

    /// Decodes `bytes` (all of them) as `ty`.
    pub fn decode(&self, ty: &AbiType, bytes: &[u8]) -> Result<Value, AbiError> {
        let mut rest = bytes;
        let value = self.decode_from(ty, &mut rest)?;
        if !rest.is_empty() {
            return fail(format!("{} bytes left over after the value", rest.len()));
        }
        Ok(value)
    }

    /// Decodes an event by its topic, `None` if the ABI declares no such event.
    pub fn decode_event(&self, topic: &[u8], data: &[u8]) -> Option<Result<Value, AbiError>> {
        let event = self.events.iter().find(|e| e.name.as_bytes() == topic)?;
        let ty = AbiType::Tuple(event.fields.iter().map(|f| f.ty.clone()).collect());
        Some(self.decode(&ty, data).map(|values| {
            let values = match values {
                Value::Array(values) => values,
                _ => vec![],
            };
            let fields = event.fields.iter().zip(values).map(|(f, v)| (f.name.clone(), v)).collect();
            json!({ "name": event.name, "fields": Value::Object(fields) })
        }))
    }

    fn decode_from(&self, ty: &AbiType, rest: &mut &[u8]) -> Result<Value, AbiError> {
        fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], AbiError> {
            if rest.len() < n {
                return fail(format!("needs {n} more bytes, {} left", rest.len()));
            }
            let (head, tail) = rest.split_at(n);
            *rest = tail;
            Ok(head)
        }
        fn count(rest: &mut &[u8]) -> Result<usize, AbiError> {
            let bytes = take(rest, 4)?;
            Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
        }
        Ok(match ty {
            AbiType::Unit => Value::Null,
            AbiType::Bool => match take(rest, 1)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                other => return fail(format!("a bool is 0 or 1, not {other}")),
            },
            AbiType::Unsigned(bits) => {
                let mut buf = [0u8; 16];
                buf[..*bits as usize / 8].copy_from_slice(take(rest, *bits as usize / 8)?);
                let n = u128::from_le_bytes(buf);
                if *bits <= 32 { json!(n as u64) } else { Value::String(n.to_string()) }
            }
            AbiType::Signed(bits) => {
                let bytes = take(rest, *bits as usize / 8)?;
                let fill = if bytes.last().is_some_and(|b| b & 0x80 != 0) { 0xff } else { 0 };
                let mut buf = [fill; 16];
                buf[..bytes.len()].copy_from_slice(bytes);
                let n = i128::from_le_bytes(buf);
                if *bits <= 32 { json!(n as i64) } else { Value::String(n.to_string()) }
            }
            AbiType::Address => {
                let mut address = [0u8; 20];
                address.copy_from_slice(take(rest, 20)?);
                Value::String(Address(address).to_string())
            }
            AbiType::Bytes => {
                let len = count(rest)?;
                Value::String(format!("0x{}", hex::encode(take(rest, len)?)))
            }
            AbiType::String => {
                let len = count(rest)?;
                let text =
                    std::str::from_utf8(take(rest, len)?).map_err(|_| AbiError("a string is not UTF-8".into()))?;
                Value::String(text.to_owned())
            }
            AbiType::Array(item, len) if **item == AbiType::Unsigned(8) => {
                Value::String(format!("0x{}", hex::encode(take(rest, *len)?)))
            }
            AbiType::Array(item, len) => {
                Value::Array((0..*len).map(|_| self.decode_from(item, rest)).collect::<Result<_, _>>()?)
            }
            AbiType::List(item) => {
                let len = count(rest)?;
                // Every item is at least one byte (zero-sized items are refused with the ABI): a count larger
                // than the bytes left is a lie.
                if len > rest.len() {
                    return fail(format!("a list of {len} items in {} bytes", rest.len()));
                }
                Value::Array((0..len).map(|_| self.decode_from(item, rest)).collect::<Result<_, _>>()?)
            }
            AbiType::Option(item) => match take(rest, 1)?[0] {
                0 => Value::Null,
                1 => self.decode_from(item, rest)?,
                other => return fail(format!("an option's tag is 0 or 1, not {other}")),
            },
            AbiType::Tuple(items) => {
                Value::Array(items.iter().map(|item| self.decode_from(item, rest)).collect::<Result<_, _>>()?)
            }
            AbiType::Record(name) => {
                let record = self.record(name)?;
                let mut fields = serde_json::Map::new();
                for field in &record.fields {
                    fields.insert(field.name.clone(), self.decode_from(&field.ty, rest)?);
                }
                Value::Object(fields)
            }
        })
    }
}

/// An integer from a JSON number or a decimal string, as its sign and magnitude (so a `u128` reaches its
/// maximum and an `i128` its minimum).
fn integer(value: &Value) -> Result<(bool, u128), AbiError> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        other => return fail(format!("expected an integer, got {other}")),
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text.as_str()),
    };
    let magnitude: u128 = digits.parse().map_err(|_| AbiError(format!("`{text}` is not an integer")))?;
    Ok((negative && magnitude != 0, magnitude))
}

/// Bytes from a `0x…` hex string or an array of byte numbers.
fn hex_value(value: &Value) -> Result<Vec<u8>, AbiError> {
    match value {
        Value::String(s) => {
            let digits = s.strip_prefix("0x").unwrap_or(s);
            hex::decode(digits).map_err(|_| AbiError(format!("`{s}` is not hex bytes (0x…)")))
        }
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_u64().filter(|b| *b <= 255).map(|b| b as u8))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| AbiError("expected bytes as hex (0x…) or an array of 0..=255".into())),
        _ => fail("expected bytes as hex (0x…)"),
    }
}

fn push_len(out: &mut Vec<u8>, len: usize) -> Result<(), AbiError> {
    let len = u32::try_from(len).map_err(|_| AbiError(format!("{len} items is more than a u32 count")))?;
    out.extend_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Reads a CLI argument as the JSON value of `ty`: scalars from their text (`100`, `z1…`, `0x…`, `true`, a
/// plain string), arrays, lists, options and records from JSON text.
pub fn value_from_text(ty: &AbiType, text: &str) -> Result<Value, AbiError> {
    match ty {
        AbiType::Bool
        | AbiType::Unsigned(_)
        | AbiType::Signed(_)
        | AbiType::Address
        | AbiType::Bytes
        | AbiType::String => Ok(Value::String(text.to_owned())),
        AbiType::Array(item, _) if **item == AbiType::Unsigned(8) && text.starts_with("0x") => {
            Ok(Value::String(text.to_owned()))
        }
        AbiType::Option(_) if text == "null" || text == "none" => Ok(Value::Null),
        AbiType::Option(item) => match serde_json::from_str(text) {
            Ok(value) => Ok(value),
            Err(_) => value_from_text(item, text),
        },
        _ => serde_json::from_str(text).map_err(|e| AbiError(format!("`{text}` is not JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN_ABI: &str = concat!(
        r#"{"kind":"event","name":"Transfer","fields":[{"name":"from","type":"Address"},{"name":"to","type":"Address"},{"name":"amount","type":"u128"}]}"#,
        "\n",
        r#"{"kind":"method","name":"transfer","view":false,"inputs":[{"name":"to","type":"Address"},{"name":"amount","type":"u128"}],"output":"Result<(), &'static str>"}"#,
        "\n",
        r#"{"kind":"method","name":"balance","view":true,"inputs":[{"name":"owner","type":"Address"}],"output":"u128"}"#,
        "\n",
        r#"{"kind":"type","name":"Order","fields":[{"name":"id","type":"u64"},{"name":"tags","type":"Vec<Option<[u8; 4]>>"},{"name":"note","type":"String"}]}"#,
        "\n",
        r#"{"kind":"method","name":"place","view":false,"inputs":[{"name":"order","type":"Order"},{"name":"flag","type":"bool"},{"name":"delta","type":"i32"}],"output":"Result<Order, MyError<u8>>"}"#,
        "\n",
        r#"{"kind":"method","name":"aliased","view":false,"inputs":[],"output":"Result<(u128, Vec<u8>)>"}"#,
        "\n",
    );

    #[test]
    fn a_contract_abi_parses_and_names_its_methods() {
        let abi = Abi::parse(TOKEN_ABI.as_bytes()).unwrap();
        assert_eq!(abi.methods.len(), 4);
        assert_eq!(abi.method("transfer").unwrap().output_type, AbiType::Unit);
        assert_eq!(abi.method("place").unwrap().output_type, AbiType::Record("Order".into()));
        let aliased = AbiType::Tuple(vec![AbiType::Unsigned(128), AbiType::Bytes]);
        assert_eq!(abi.method("aliased").unwrap().output_type, aliased);
        assert!(abi.method("balance").unwrap().view);
        let error = abi.method("balance_of").unwrap_err().to_string();
        assert_eq!(error, "the contract has no method `balance_of`; its methods: transfer, balance, place, aliased");
    }

    #[test]
    fn arguments_encode_as_the_sdk_reads_them_by_position_or_name() {
        let abi = Abi::parse(TOKEN_ABI.as_bytes()).unwrap();
        let to = Address([7; 20]);
        let method = abi.method("transfer").unwrap();
        let max = abi.encode_call(method, &[(None, json!(to.to_string())), (None, json!(u128::MAX.to_string()))]);
        assert_eq!(max.unwrap()[20..], u128::MAX.to_le_bytes());
        let signed = abi.encode(&AbiType::Signed(128), &json!(i128::MIN.to_string())).unwrap();
        assert_eq!(signed, i128::MIN.to_le_bytes());
        assert!(abi.encode(&AbiType::Signed(8), &json!(128)).is_err());
        assert_eq!(abi.encode(&AbiType::Signed(8), &json!(-128)).unwrap(), [0x80]);
        let positional = abi.encode_call(method, &[(None, json!(to.to_string())), (None, json!("300"))]).unwrap();
        let named = abi
            .encode_call(method, &[(Some("amount".into()), json!(300)), (Some("to".into()), json!(to.to_string()))])
            .unwrap();
        let expected = [to.0.as_slice(), &300u128.to_le_bytes()].concat();
        assert_eq!(positional, expected);
        assert_eq!(named, expected);
    }

    #[test]
    fn records_lists_options_and_signed_integers_round_trip() {
        let abi = Abi::parse(TOKEN_ABI.as_bytes()).unwrap();
        let method = abi.method("place").unwrap();
        let order = json!({ "id": "9", "tags": [null, "0x01020304"], "note": "hé" });
        let input = abi.encode_call(method, &[(None, order.clone()), (None, json!(true)), (None, json!(-2))]).unwrap();
        let mut expected = 9u64.to_le_bytes().to_vec();
        expected.extend_from_slice(&2u32.to_le_bytes());
        expected.extend_from_slice(&[0, 1, 1, 2, 3, 4]);
        expected.extend_from_slice(&3u32.to_le_bytes());
        expected.extend_from_slice("hé".as_bytes());
        expected.extend_from_slice(&[1]);
        expected.extend_from_slice(&(-2i32).to_le_bytes());
        assert_eq!(input, expected);
        let ty = AbiType::Tuple(method.inputs.iter().map(|f| f.ty.clone()).collect());
        assert_eq!(abi.decode(&ty, &input).unwrap(), json!([order, true, -2]));
    }

    #[test]
    fn wrong_arguments_are_refused_naming_the_argument() {
        let abi = Abi::parse(TOKEN_ABI.as_bytes()).unwrap();
        let method = abi.method("transfer").unwrap();
        type Args<'a> = &'a [(Option<String>, Value)];
        let cases: [(Args<'_>, &str); 4] = [
            (&[(None, json!("z1nope")), (None, json!(1))], "argument `to` (Address)"),
            (&[(None, json!(Address([1; 20]).to_string())), (None, json!(-1))], "is negative"),
            (&[(None, json!(1))], "transfer(to: Address, amount: u128) takes 2 arguments, 1 given"),
            (&[(Some("to".into()), json!(1)), (None, json!(1))], "every argument by name"),
        ];
        for (args, expected) in cases {
            let error = abi.encode_call(method, args).unwrap_err().to_string();
            assert!(error.contains(expected), "{error} should contain {expected}");
        }
    }

    /// Records each holding the next one in 100 fields: checked record by record, the work stays linear
    /// (walked reference by reference it would be 100^7 visits).
    #[test]
    fn attack_records_referenced_many_times_are_checked_once_each() {
        let mut section = String::new();
        for level in 0..7 {
            let fields: Vec<String> =
                (0..100).map(|i| format!(r#"{{"name":"f{i}","type":"T{}"}}"#, level + 1)).collect();
            section.push_str(&format!(r#"{{"kind":"type","name":"T{level}","fields":[{}]}}"#, fields.join(",")));
            section.push('\n');
        }
        section.push_str(r#"{"kind":"type","name":"T7","fields":[{"name":"a","type":"u8"}]}"#);
        assert!(section.len() <= MAX_ABI_LEN, "{}", section.len());
        let started = std::time::Instant::now();
        let abi = Abi::parse(section.as_bytes()).unwrap();
        assert_eq!(abi.types.len(), 8);
        // Not a timing target: a walk of every reference would not end within the test run at all.
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let deep: String = (0..10)
            .map(|i| format!(r#"{{"kind":"type","name":"D{i}","fields":[{{"name":"a","type":"D{}"}}]}}"#, i + 1) + "\n")
            .collect::<String>()
            + r#"{"kind":"type","name":"D10","fields":[]}"#;
        let error = Abi::parse(deep.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("nest deeper than 8"), "{error}");
    }

    #[test]
    fn events_decode_by_topic() {
        let abi = Abi::parse(TOKEN_ABI.as_bytes()).unwrap();
        let data = [[1u8; 20].as_slice(), &[2u8; 20], &5u128.to_le_bytes()].concat();
        let event = abi.decode_event(b"Transfer", &data).unwrap().unwrap();
        assert_eq!(event["fields"]["amount"], json!("5"));
        assert_eq!(event["fields"]["to"], json!(Address([2; 20]).to_string()));
        assert!(abi.decode_event(b"Other", &data).is_none());
        assert!(abi.decode_event(b"Transfer", &data[1..]).unwrap().is_err());
    }

    #[test]
    fn malformed_abis_are_refused_with_the_rule() {
        let cases = [
            (vec![0xff, 0xfe], "not UTF-8"),
            (b"{\"kind\":\"method\"}".to_vec(), "ABI line 1"),
            (br#"{"kind":"method","name":"a","view":false,"inputs":[],"output":"f32"}"#.to_vec(), "`f32` is not a type"),
            (br#"{"kind":"method","name":"a","view":false,"inputs":[],"output":"Nope"}"#.to_vec(), "`Nope` is not declared"),
            (br#"{"kind":"type","name":"A","fields":[{"name":"a","type":"Vec<A>"}]}"#.to_vec(), "contains itself"),
            (
                [br#"{"kind":"method","name":"a","view":false,"inputs":[],"output":"()"}"#.as_slice(), b"\n"].concat().repeat(2),
                "declared twice",
            ),
            (br#"{"kind":"event","name":"E","fields":[{"name":"a","type":"[u8; 99999]"}]}"#.to_vec(), "array length"),
            (br#"{"kind":"event","name":"E","fields":[],"extra":1}"#.to_vec(), "ABI line 1: not an ABI object"),
            (br#"{"kind":"event","name":"E","fields":[{"name":"a","type":"Vec<()>"}]}"#.to_vec(), "a list of zero-sized items"),
            (br#"{"kind":"event","name":"E","fields":[{"name":"a","type":"[[(); 4096]; 4096]"}]}"#.to_vec(), "zero-sized"),
            (
                [br#"{"kind":"type","name":"Z","fields":[]}"#.as_slice(), b"\n", br#"{"kind":"event","name":"E","fields":[{"name":"a","type":"Vec<Z>"}]}"#].concat(),
                "a list of zero-sized items",
            ),
            (vec![b' '; MAX_ABI_LEN + 1], "more than"),
            (br#"{"kind":"type","name":"A","fields":[{"name":"a","type":"Vec<Vec<Vec<Vec<Vec<Vec<Vec<Vec<Vec<u8>>>>>>>>>"}]}"#.to_vec(), "deeper"),
        ];
        for (section, expected) in cases {
            let error = Abi::parse(&section).unwrap_err().to_string();
            assert!(error.contains(expected), "{error} should contain {expected}");
        }
    }
}
