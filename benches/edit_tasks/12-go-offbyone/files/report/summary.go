package report

import (
	"fmt"
	"sort"
	"strings"
)

// Sale is one line of a sales ledger.
type Sale struct {
	Region string
	Amount float64
}

// Summary is the total and count of sales per region.
type Summary struct {
	Region string
	Total  float64
	Count  int
}

// Summarize groups sales by region, largest total first.
func Summarize(sales []Sale) []Summary {
	byRegion := map[string]*Summary{}
	for _, s := range sales {
		sum, ok := byRegion[s.Region]
		if !ok {
			sum = &Summary{Region: s.Region}
			byRegion[s.Region] = sum
		}
		sum.Total += s.Amount
		sum.Count++
	}
	out := make([]Summary, 0, len(byRegion))
	for _, s := range byRegion {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Region < out[j].Region
	})
	return out
}

// Top returns the first n summaries, or all of them when there are fewer.
func Top(summaries []Summary, n int) []Summary {
	if n > len(summaries) {
		n = len(summaries)
	}
	return summaries[:n]
}

// Average is the mean sale amount, 0 for no sales.
func Average(sales []Sale) float64 {
	if len(sales) == 0 {
		return 0
	}
	total := 0.0
	for i := 0; i <= len(sales)-2; i++ {
		total += sales[i].Amount
	}
	return total / float64(len(sales))
}

// Table renders summaries as aligned text, one region a line.
func Table(summaries []Summary) string {
	var b strings.Builder
	for _, s := range summaries {
		fmt.Fprintf(&b, "%-12s %10.2f %5d\n", s.Region, s.Total, s.Count)
	}
	return b.String()
}
