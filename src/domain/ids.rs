//! Opaque global IDs: `base64url("Type:id")`. Clients must treat them as opaque strings; the encoding
//! only lets the server tell which table a `node(id)` refers to without a lookup.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::AppError;

/// The object types that implement `Node`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeType {
    Customer,
    Order,
    Touchpoint,
    Feedback,
    Complaint,
}

impl NodeType {
    pub const ALL: [NodeType; 5] =
        [NodeType::Customer, NodeType::Order, NodeType::Touchpoint, NodeType::Feedback, NodeType::Complaint];

    pub const fn name(self) -> &'static str {
        match self {
            NodeType::Customer => "Customer",
            NodeType::Order => "Order",
            NodeType::Touchpoint => "Touchpoint",
            NodeType::Feedback => "Feedback",
            NodeType::Complaint => "Complaint",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        NodeType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// The type of a stored row's global ID, as a tombstone names it (`entity::deletion`).
impl From<entity::NodeType> for NodeType {
    fn from(stored: entity::NodeType) -> Self {
        match stored {
            entity::NodeType::Customer => NodeType::Customer,
            entity::NodeType::Order => NodeType::Order,
            entity::NodeType::Touchpoint => NodeType::Touchpoint,
            entity::NodeType::Feedback => NodeType::Feedback,
            entity::NodeType::Complaint => NodeType::Complaint,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct GlobalId {
    pub node_type: NodeType,
    pub id: i64,
}

impl GlobalId {
    pub const fn new(node_type: NodeType, id: i64) -> Self {
        GlobalId { node_type, id }
    }

    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.node_type.name(), self.id))
    }

    /// Decodes an ID given in the input field `field`.
    pub fn decode(field: &str, raw: &str) -> Result<Self, AppError> {
        Self::try_decode(raw).ok_or_else(|| AppError::bad_input(field, "not a valid ID"))
    }

    /// Decodes an ID that must be of `expected` type.
    pub fn decode_as(field: &str, raw: &str, expected: NodeType) -> Result<i64, AppError> {
        let id = Self::decode(field, raw)?;
        if id.node_type != expected {
            return Err(AppError::bad_input(
                field,
                format!("expected a {} ID, got a {} ID", expected.name(), id.node_type.name()),
            ));
        }
        Ok(id.id)
    }

    fn try_decode(raw: &str) -> Option<Self> {
        // IDs are short; refusing long input early keeps hostile strings cheap.
        if raw.len() > 64 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (type_name, id) = text.split_once(':')?;
        let node_type = NodeType::from_name(type_name)?;
        // Only canonical decimal digits, so each row has exactly one ID.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || (id.len() > 1 && id.starts_with('0')) {
            return None;
        }
        let id = id.parse::<i64>().ok()?;
        Some(GlobalId { node_type, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        for node_type in NodeType::ALL {
            let id = GlobalId::new(node_type, 9_007_199_254_740_993);
            assert_eq!(GlobalId::decode("id", &id.encode()).unwrap(), id);
        }
    }

    #[test]
    fn rejects_garbage_and_non_canonical_ids() {
        for raw in ["", "!!!", "Q3VzdG9tZXI6", "Q3VzdG9tZXI6MDE", "Q3VzdG9tZXI6LTE", &"A".repeat(100)] {
            let err = GlobalId::decode("id", raw).unwrap_err();
            assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "id"), "{raw}");
        }
        let unknown_type = URL_SAFE_NO_PAD.encode("Invoice:1");
        assert!(GlobalId::decode("id", &unknown_type).is_err());
    }

    #[test]
    fn decode_as_names_both_types_on_mismatch() {
        let order = GlobalId::new(NodeType::Order, 1).encode();
        let err = GlobalId::decode_as("id", &order, NodeType::Customer).unwrap_err();
        assert_eq!(err.to_string(), "id: expected a Customer ID, got a Order ID");
    }
}
