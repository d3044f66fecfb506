//! What the gate needs to know of the schema to price and police a document without async-graphql's
//! validation: the type each field returns, read once from the schema's own SDL.

use std::collections::HashMap;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

/// The named type a field returns, and whether it is a list of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldType {
    pub named: String,
    pub list: bool,
}

/// `(parent type, field) -> return type` for every object and interface field of the schema.
#[derive(Clone, Debug, Default)]
pub struct SchemaMap {
    fields: HashMap<String, HashMap<String, FieldType>>,
}

impl SchemaMap {
    /// Reads the schema's SDL. The SDL is the server's own, so a failure is a programming error that a
    /// unit test catches; it is still reported, never a panic.
    pub fn from_sdl(sdl: &str) -> Result<Self, String> {
        let document = parse_schema(sdl).map_err(|e| format!("the schema's own SDL does not parse: {e}"))?;
        let mut fields: HashMap<String, HashMap<String, FieldType>> = HashMap::new();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else { continue };
            let definition = definition.node;
            let list = match definition.kind {
                TypeKind::Object(object) => object.fields,
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            let entry = fields.entry(definition.name.node.to_string()).or_default();
            for field in list {
                let field = field.node;
                entry.insert(field.name.node.to_string(), field_type(&field.ty.node));
            }
        }
        Ok(SchemaMap { fields })
    }

    /// The return type of `parent.field`; `None` for introspection fields and unknown names (validation
    /// reports the latter).
    pub fn field(&self, parent: &str, field: &str) -> Option<&FieldType> {
        self.fields.get(parent)?.get(field)
    }

    pub fn has_type(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }
}

fn field_type(ty: &Type) -> FieldType {
    match &ty.base {
        BaseType::Named(name) => FieldType { named: name.to_string(), list: false },
        BaseType::List(inner) => FieldType { list: true, ..field_type(inner) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_map_to_their_named_types() {
        let map = SchemaMap::from_sdl(&crate::graphql::sdl()).expect("the schema's SDL");
        assert_eq!(
            map.field("Query", "customers"),
            Some(&FieldType { named: "CustomerConnection".into(), list: false })
        );
        assert_eq!(map.field("CustomerConnection", "nodes"), Some(&FieldType { named: "Customer".into(), list: true }));
        assert_eq!(map.field("Insights", "satisfaction").map(|f| f.list), Some(true));
        assert_eq!(map.field("Node", "id").map(|f| f.named.as_str()), Some("ID"));
        assert!(map.field("Query", "__schema").is_none());
        assert!(map.has_type("Mutation") && map.has_type("Subscription"));
    }
}
