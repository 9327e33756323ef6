package catalog

// OrderKey orders records totally and stably the way queries return them:
// product, then time tag and version, then name. Paging cursors hold the
// last key returned, so records added between pages never shift a page.
func (r Record) OrderKey() string {
	return r.ProductKey() + "\x00" + r.timeKey() + "\x00" + r.Name
}
