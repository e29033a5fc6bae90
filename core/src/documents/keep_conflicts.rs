//! Writing a record back without deciding its conflicts.
//!
//! autosurgeon reconciles a whole struct by putting every scalar again. Automerge ignores a
//! put of an unchanged value, except where the key holds concurrent values: there the put
//! supersedes them all, so any edit anywhere in a record would silently pick the shown
//! winner of every open conflict. This wrapper turns a put that only repeats the shown value
//! of a conflicted key into nothing, so a conflict ends only when a clinician writes a value.

use automerge::{self as am, AutoCommit, AutomergeError, ObjId, Value};
use std::ops::RangeBounds;

pub struct KeepConflicts<'a>(pub &'a mut AutoCommit);

impl autosurgeon::ReadDoc for KeepConflicts<'_> {
    type Parents<'b>
        = am::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<am::ChangeHash> {
        autosurgeon::ReadDoc::get_heads(&*self.0)
    }
    fn get<P: Into<am::Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        autosurgeon::ReadDoc::get(&*self.0, obj, prop)
    }
    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<am::ObjType> {
        autosurgeon::ReadDoc::object_type(&*self.0, obj)
    }
    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> am::iter::MapRange<'b>
    where
        R: RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
        R: RangeBounds<String>,
    {
        autosurgeon::ReadDoc::map_range(&*self.0, obj, range)
    }
    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> am::iter::ListRange<'_> {
        autosurgeon::ReadDoc::list_range(&*self.0, obj, range)
    }
    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        autosurgeon::ReadDoc::length(&*self.0, obj)
    }
    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        autosurgeon::ReadDoc::text(&*self.0, obj)
    }
    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        autosurgeon::ReadDoc::parents(&*self.0, obj)
    }
    fn is_empty(&self) -> bool {
        autosurgeon::ReadDoc::is_empty(&*self.0)
    }
}

impl autosurgeon::Doc for KeepConflicts<'_> {
    fn put<O: AsRef<ObjId>, P: Into<am::Prop>, V: Into<am::ScalarValue>>(
        &mut self,
        obj: O,
        prop: P,
        value: V,
    ) -> Result<(), AutomergeError> {
        let (prop, value) = (prop.into(), value.into());
        let all = am::ReadDoc::get_all(&*self.0, obj.as_ref(), prop.clone())?;
        if all.len() > 1 {
            let shown = am::ReadDoc::get(&*self.0, obj.as_ref(), prop.clone())?;
            if let Some((Value::Scalar(current), _)) = shown
                && *current == value
            {
                return Ok(());
            }
        }
        autosurgeon::Doc::put(self.0, obj, prop, value)
    }
    fn put_object<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: am::ObjType,
    ) -> Result<ObjId, AutomergeError> {
        autosurgeon::Doc::put_object(self.0, obj, prop, value)
    }
    fn insert<O: AsRef<ObjId>, V: Into<am::ScalarValue>>(
        &mut self,
        obj: O,
        index: usize,
        value: V,
    ) -> Result<(), AutomergeError> {
        autosurgeon::Doc::insert(self.0, obj, index, value)
    }
    fn insert_object<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        index: usize,
        value: am::ObjType,
    ) -> Result<ObjId, AutomergeError> {
        autosurgeon::Doc::insert_object(self.0, obj, index, value)
    }
    fn increment<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: i64,
    ) -> Result<(), AutomergeError> {
        autosurgeon::Doc::increment(self.0, obj, prop, value)
    }
    fn delete<O: AsRef<ObjId>, P: Into<am::Prop>>(&mut self, obj: O, prop: P) -> Result<(), AutomergeError> {
        autosurgeon::Doc::delete(self.0, obj, prop)
    }
    fn splice_text<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        pos: usize,
        del: isize,
        text: &str,
    ) -> Result<(), AutomergeError> {
        autosurgeon::Doc::splice_text(self.0, obj, pos, del, text)
    }
    fn update_text<O: AsRef<ObjId>>(&mut self, obj: O, text: &str) -> Result<(), AutomergeError> {
        autosurgeon::Doc::update_text(self.0, obj, text)
    }
    fn batch_create<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: am::hydrate::Value,
        insert: bool,
    ) -> Result<(), AutomergeError> {
        autosurgeon::Doc::batch_create(self.0, obj, prop, value, insert)
    }
    fn init_root_from_hydrate(&mut self, value: &am::hydrate::Map) -> Result<(), AutomergeError> {
        autosurgeon::Doc::init_root_from_hydrate(self.0, value)
    }
}
