// Command tills is the POS bench's closed loop: many tills, each reserving and confirming one
// purchase after another for a given time, as cheaply as a client can.
//
// The tills run on other machines in a shop; on the bench they share its two cores with the
// platform, so their client should cost no more than pgbench's. It reads one JSON loop (below)
// on stdin and writes every request's latency and status on stdout, with the CPU the process
// spent, which the bench adds to the load generator's (the process has ended when the bench
// reads its processes' CPU).
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Loop is what the bench asks for.
type Loop struct {
	Base      string         `json:"base"`
	Protocol  string         `json:"protocol"`  // "platform": the gateway's POS API; "bare": bare_till.py
	Keys      []string       `json:"keys"`      // Bearer keys, one per request in turn (platform)
	Customers []string       `json:"customers"` // the n-th purchase is customers[n % len] (platform)
	Count     int            `json:"count"`     // the bare till's customers, 1..Count
	Receipt   map[string]any `json:"receipt"`   // the reservation's body but customer and txid
	Workers   int            `json:"workers"`
	Seconds   float64        `json:"seconds"`
	// A till told 503 waits this long before its next purchase, as the gateway's Retry-After asks.
	RetryAfterSeconds float64 `json:"retry_after_seconds"`
}

// Call is one request's latency in seconds and its status (0: no answer in time).
type Call [2]float64

// Outcome is what the bench reads back.
type Outcome struct {
	Calls      []Call         `json:"calls"`
	Elapsed    float64        `json:"elapsed"`
	Refusals   map[string]int `json:"refusals"` // the codes of 503 answers
	CPUSeconds float64        `json:"cpu_seconds"`
}

type tills struct {
	loop   Loop
	client *http.Client
	next   atomic.Int64 // the next purchase's number
	key    atomic.Int64 // the next request's key
	mu     sync.Mutex
	out    Outcome
}

func main() {
	var loop Loop
	if err := json.NewDecoder(os.Stdin).Decode(&loop); err != nil {
		fail(err)
	}
	t := &tills{
		loop: loop,
		client: &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        loop.Workers,
				MaxIdleConnsPerHost: loop.Workers,
				DisableCompression:  true,
			},
		},
		out: Outcome{Refusals: map[string]int{}},
	}
	started := time.Now()
	deadline := started.Add(time.Duration(loop.Seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for range loop.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.till(deadline)
		}()
	}
	wg.Wait()
	t.out.Elapsed = time.Since(started).Seconds()
	t.out.CPUSeconds = cpuSeconds()
	if err := json.NewEncoder(os.Stdout).Encode(t.out); err != nil {
		fail(err)
	}
}

// till buys until the deadline: a reservation, then its confirm when it was reserved.
func (t *tills) till(deadline time.Time) {
	var calls []Call
	for time.Now().Before(deadline) {
		n := t.next.Add(1) - 1
		txid := newTxid()
		var reserved, confirmed Call
		if t.loop.Protocol == "bare" {
			body := map[string]any{"customer": n%int64(t.loop.Count) + 1, "txid": txid}
			reserved = t.post("/reserve", body)
			confirmed = t.post("/confirm", body)
			calls = append(calls, reserved, confirmed)
		} else {
			reserved = t.post("/v1/purchases", t.receipt(n, txid))
			calls = append(calls, reserved)
			if reserved[1] == 201 {
				confirmed = t.post("/v1/purchases/"+txid+"/confirm", map[string]any{})
				calls = append(calls, confirmed)
			}
		}
		if reserved[1] == 503 || confirmed[1] == 503 {
			time.Sleep(time.Duration(t.loop.RetryAfterSeconds * float64(time.Second)))
		}
	}
	t.mu.Lock()
	t.out.Calls = append(t.out.Calls, calls...)
	t.mu.Unlock()
}

func (t *tills) receipt(n int64, txid string) map[string]any {
	body := make(map[string]any, len(t.loop.Receipt)+2)
	for k, v := range t.loop.Receipt {
		body[k] = v
	}
	body["customer_id"] = t.loop.Customers[n%int64(len(t.loop.Customers))]
	body["txid"] = txid
	return body
}

func (t *tills) post(path string, body map[string]any) Call {
	payload, err := json.Marshal(body)
	if err != nil {
		fail(err)
	}
	started := time.Now()
	request, err := http.NewRequest(http.MethodPost, t.loop.Base+path, bytes.NewReader(payload))
	if err != nil {
		fail(err)
	}
	request.Header.Set("Content-Type", "application/json")
	if len(t.loop.Keys) > 0 {
		key := t.loop.Keys[(t.key.Add(1)-1)%int64(len(t.loop.Keys))]
		request.Header.Set("Authorization", "Bearer "+key)
	}
	response, err := t.client.Do(request)
	if err != nil {
		return Call{time.Since(started).Seconds(), 0}
	}
	answer, err := io.ReadAll(response.Body)
	response.Body.Close()
	seconds := time.Since(started).Seconds()
	if err != nil {
		return Call{seconds, 0}
	}
	if response.StatusCode == 503 {
		t.refused(answer)
	}
	return Call{seconds, float64(response.StatusCode)}
}

func (t *tills) refused(answer []byte) {
	var problem struct {
		Code string `json:"code"`
	}
	code := "?"
	if json.Unmarshal(answer, &problem) == nil && problem.Code != "" {
		code = problem.Code
	}
	t.mu.Lock()
	t.out.Refusals[code]++
	t.mu.Unlock()
}

func newTxid() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		fail(err)
	}
	return hex.EncodeToString(b[:])
}

// cpuSeconds is the user and system CPU this process has spent.
func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fail(err)
	}
	seconds := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	return seconds(usage.Utime) + seconds(usage.Stime)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tills:", err)
	os.Exit(1)
}
