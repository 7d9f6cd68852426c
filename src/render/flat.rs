//! An item's top-level fields as scalars, straight from its `Serialize`
//! impl: what the CSV and table writers need of a row, without building a
//! JSON object (with its keys) for every row of a long list. A field that is
//! not a scalar (a list, an object) is kept as its JSON text.

pub use super::scalar::Scalar;
use super::scalar::scalar;
use serde::ser::{self, Serialize};
use std::borrow::Cow;
use std::fmt;

/// The fields of a row, in their serialization order (a struct's keys are
/// borrowed, a map's owned).
#[derive(Debug, Default)]
pub struct Fields(pub Vec<(Cow<'static, str>, Scalar)>);

impl Fields {
    pub fn of<T: Serialize + ?Sized>(item: &T) -> Result<Fields, Error> {
        let mut fields = Fields::default();
        item.serialize(Top(&mut fields))?;
        Ok(fields)
    }

    /// The value of a field (`Null` if absent).
    pub fn get(&self, key: &str) -> &Scalar {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or(&Scalar::Null, |(_, v)| v)
    }
}

/// A value that has no flat form.
#[derive(Debug)]
pub struct Error(pub(super) String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn unsupported<T>(what: &str) -> Result<T, Error> {
    Err(Error(format!(
        "a row must be a struct or a map, not {what}"
    )))
}

/// The serializer of the row itself: a struct, or a map (`#[serde(flatten)]`).
struct Top<'a>(&'a mut Fields);

impl<'a> ser::Serializer for Top<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = TopMap<'a>;
    type SerializeStruct = TopMap<'a>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<TopMap<'a>, Error> {
        Ok(TopMap(self.0, None))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<TopMap<'a>, Error> {
        Ok(TopMap(self.0, None))
    }
    fn serialize_bool(self, _: bool) -> Result<(), Error> {
        unsupported("a bool")
    }
    fn serialize_i8(self, _: i8) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_i16(self, _: i16) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_i32(self, _: i32) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_i64(self, _: i64) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_u8(self, _: u8) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_u16(self, _: u16) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_u32(self, _: u32) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_u64(self, _: u64) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        unsupported("a number")
    }
    fn serialize_char(self, _: char) -> Result<(), Error> {
        unsupported("a char")
    }
    fn serialize_str(self, _: &str) -> Result<(), Error> {
        unsupported("a string")
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        unsupported("bytes")
    }
    fn serialize_none(self) -> Result<(), Error> {
        unsupported("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        unsupported("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        unsupported("null")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Error> {
        unsupported("a variant")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        unsupported("a variant")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        unsupported("a list")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        unsupported("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        unsupported("a tuple")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        unsupported("a variant")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        unsupported("a variant")
    }
}

/// The fields of the row, collected as they come (the pending map key).
struct TopMap<'a>(&'a mut Fields, Option<String>);

impl ser::SerializeStruct for TopMap<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let v = scalar(value)?;
        self.0.0.push((Cow::Borrowed(key), v));
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeMap for TopMap<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        match scalar(key)? {
            Scalar::Str(k) => {
                self.1 = Some(k);
                Ok(())
            }
            _ => unsupported("a map whose keys are not strings"),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.1.take().unwrap_or_default();
        let v = scalar(value)?;
        self.0.0.push((Cow::Owned(key), v));
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Inner {
        id: i64,
        kind: &'static str,
    }

    #[derive(serde::Serialize)]
    struct Row {
        account: &'static str,
        #[serde(flatten)]
        inner: Inner,
        missing: Option<String>,
        list: Vec<i64>,
        ok: bool,
    }

    #[test]
    fn a_row_flattens_to_its_fields_in_order() {
        let row = Row {
            account: "contoso",
            inner: Inner {
                id: 7,
                kind: "UpdateAdCache",
            },
            missing: None,
            list: vec![1, 2],
            ok: true,
        };
        let f = Fields::of(&row).unwrap();
        let keys: Vec<&str> = f.0.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["account", "id", "kind", "missing", "list", "ok"]);
        assert_eq!(f.get("id"), &Scalar::Int(7));
        assert_eq!(f.get("missing"), &Scalar::Null);
        assert_eq!(f.get("list"), &Scalar::Json("[1,2]".into()));
        assert_eq!(f.get("nope"), &Scalar::Null);
    }
}
