//! sled's tree as the ordered key-value engine the shared scans read.

use super::SledStore;
use crate::store::StoreError;

impl crate::store::scan::OrderedKv for SledStore {
    type Bytes = sled::IVec;

    fn range(&self, lower: Vec<u8>, upper: Vec<u8>) -> crate::store::scan::KvIter<'_, sled::IVec> {
        Box::new(
            self.tree
                .range(lower..upper)
                .map(|r| r.map_err(StoreError::from)),
        )
    }

    fn get_raw(&self, key: &[u8]) -> Result<Option<sled::IVec>, StoreError> {
        Ok(self.tree.get(key)?)
    }

    fn contains(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.tree.contains_key(key)?)
    }

    fn remove_stray(&self, key: &[u8]) -> Result<(), StoreError> {
        self.wrote(self.tree.remove(key).map_err(StoreError::from))
            .map(drop)
    }
}
