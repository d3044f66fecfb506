//! `insights.facets`: the values to filter by and the time the data spans.

use async_graphql::SimpleObject;

use crate::domain::currency::Currency;
use crate::graphql::scalars::{CurrencyCode, DateTime};
use crate::services::facets::Facets as FacetValues;

/// What there is to filter by and over which time: for pickers, and for BI tools discovering the data.
/// Lists are sorted by code point; a date is null when there is no such row.
#[derive(SimpleObject, Clone, Debug)]
pub struct Facets {
    /// Every customer segment (the values of `segments` filters).
    segments: Vec<String>,
    /// Every customer region (the values of `regions` filters).
    regions: Vec<String>,
    /// Every currency orders are in.
    currencies: Vec<CurrencyCode>,
    /// When the first order was placed.
    first_order_at: Option<DateTime>,
    /// When the last order was placed.
    last_order_at: Option<DateTime>,
    /// When the first survey answer was submitted.
    first_answer_at: Option<DateTime>,
    /// When the last survey answer was submitted.
    last_answer_at: Option<DateTime>,
}

impl Facets {
    /// How many list items the answer holds, for the answer's row budget.
    pub fn items(&self) -> usize {
        self.segments.len() + self.regions.len() + self.currencies.len()
    }
}

impl From<FacetValues> for Facets {
    fn from(f: FacetValues) -> Self {
        Facets {
            segments: f.segments,
            regions: f.regions,
            currencies: f.currencies.iter().map(|c| CurrencyCode(Currency::stored(c))).collect(),
            first_order_at: f.first_order_at.map(DateTime),
            last_order_at: f.last_order_at.map(DateTime),
            first_answer_at: f.first_answer_at.map(DateTime),
            last_answer_at: f.last_answer_at.map(DateTime),
        }
    }
}
