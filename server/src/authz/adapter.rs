//! Casbin's storage, over our own store: the rules live in the `casbin_rules` table of
//! whichever database the server runs on (the published sqlx adapter supports only one backend,
//! and on an older sqlx).
//!
//! The server itself changes rules through the store and then reloads the enforcer, so that the
//! database stays the one truth for every replica; the write methods here exist so that Casbin's
//! own management API, if used, writes through as well.

use std::sync::Arc;

use async_trait::async_trait;
use casbin::{Adapter, Filter, Model};

use crate::store::{Rule, Store};

pub struct StoreAdapter {
    store: Arc<dyn Store>,
}

impl StoreAdapter {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

fn failed(e: crate::domain::Error) -> casbin::Error {
    casbin::Error::AdapterError(casbin::error::AdapterError(Box::new(e)))
}

fn rules(ptype: &str, values: Vec<Vec<String>>) -> Vec<Rule> {
    values
        .into_iter()
        .map(|values| Rule {
            ptype: ptype.to_owned(),
            values,
        })
        .collect()
}

#[async_trait]
impl Adapter for StoreAdapter {
    async fn load_policy(&mut self, model: &mut dyn Model) -> casbin::Result<()> {
        for rule in self.store.rules().await.map_err(failed)? {
            let Some(section) = rule.ptype.get(..1) else {
                continue;
            };
            if let Some(assertion) = model
                .get_mut_model()
                .get_mut(section)
                .and_then(|map| map.get_mut(&rule.ptype))
            {
                assertion.get_mut_policy().insert(rule.values);
            }
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(
        &mut self,
        model: &mut dyn Model,
        _filter: Filter<'a>,
    ) -> casbin::Result<()> {
        // The policy is small; there is no reason to load part of it.
        self.load_policy(model).await
    }

    async fn save_policy(&mut self, model: &mut dyn Model) -> casbin::Result<()> {
        let mut all = Vec::new();
        for section in ["p", "g"] {
            if let Some(map) = model.get_model().get(section) {
                for (ptype, assertion) in map {
                    all.extend(rules(
                        ptype,
                        assertion.get_policy().iter().cloned().collect(),
                    ));
                }
            }
        }
        let stored = self.store.rules().await.map_err(failed)?;
        let gone: Vec<Rule> = stored
            .iter()
            .filter(|r| !all.contains(r))
            .cloned()
            .collect();
        self.store.remove_rules(gone).await.map_err(failed)?;
        self.store.add_rules(all).await.map_err(failed)?;
        Ok(())
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        let stored = self.store.rules().await.map_err(failed)?;
        self.store.remove_rules(stored).await.map_err(failed)?;
        Ok(())
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        let added = self
            .store
            .add_rules(rules(ptype, vec![rule]))
            .await
            .map_err(failed)?;
        Ok(added > 0)
    }

    async fn add_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        values: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        let added = self
            .store
            .add_rules(rules(ptype, values))
            .await
            .map_err(failed)?;
        Ok(added > 0)
    }

    async fn remove_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        let removed = self
            .store
            .remove_rules(rules(ptype, vec![rule]))
            .await
            .map_err(failed)?;
        Ok(removed > 0)
    }

    async fn remove_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        values: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        let removed = self
            .store
            .remove_rules(rules(ptype, values))
            .await
            .map_err(failed)?;
        Ok(removed > 0)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        let matching: Vec<Rule> = self
            .store
            .rules()
            .await
            .map_err(failed)?
            .into_iter()
            .filter(|r| {
                r.ptype == ptype
                    && field_values
                        .iter()
                        .enumerate()
                        .all(|(i, v)| v.is_empty() || r.values.get(field_index + i) == Some(v))
            })
            .collect();
        let removed = self.store.remove_rules(matching).await.map_err(failed)?;
        Ok(removed > 0)
    }
}
