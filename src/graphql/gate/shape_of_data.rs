//! The size of the data, as prices need it, read in the background so pricing never waits for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::graphql::gate::cost::DataShape;
use crate::services::data_shape::count_customers;

/// How often the background task reads the data's size again.
const REFRESH: Duration = Duration::from_secs(60);

/// The latest reading of `DataShape`, shared by every request.
#[derive(Clone, Debug)]
pub struct DataShapeCell(Arc<[AtomicU64; 3]>);

impl Default for DataShapeCell {
    fn default() -> Self {
        let cell = DataShapeCell(Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]));
        cell.set(DataShape::default());
        cell
    }
}

impl DataShapeCell {
    pub fn get(&self) -> DataShape {
        let [customers, segments, regions] = &*self.0;
        DataShape {
            customers: customers.load(Ordering::Relaxed),
            segments: segments.load(Ordering::Relaxed),
            regions: regions.load(Ordering::Relaxed),
        }
    }

    pub fn set(&self, shape: DataShape) {
        let [customers, segments, regions] = &*self.0;
        customers.store(shape.customers, Ordering::Relaxed);
        segments.store(shape.segments, Ordering::Relaxed);
        regions.store(shape.regions, Ordering::Relaxed);
    }

    /// Reads the data's size now, then every minute, as long as the process runs.
    pub async fn watch(self, db: DatabaseConnection) {
        self.refresh(&db).await;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(REFRESH);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                self.refresh(&db).await;
            }
        });
    }

    async fn refresh(&self, db: &DatabaseConnection) {
        match count_customers(db).await {
            Ok(counts) => {
                self.set(DataShape { customers: counts.customers, segments: counts.segments, regions: counts.regions })
            }
            // Prices keep the last reading; the health probe reports the database itself.
            Err(error) => tracing::debug!(%error, "cannot read the size of the data"),
        }
    }
}
