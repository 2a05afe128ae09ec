package layout

import "time"

// DefaultMaxDeliveryDelay is how long after an event its log file may be
// delivered and still count for an event-time window, by default. CloudTrail
// documents that it "typically delivers logs within an average of about 5
// minutes of an API call" and that this "is not guaranteed" (the figure
// was 15 minutes before 2023); it publishes log files about every 5
// minutes. An hour is four times the older bound. It costs listing the
// delivery day after the window when the window ends within an hour of
// midnight, and reading up to an hour of objects past Until. Deliveries
// later than that (a trail whose bucket was unreachable is redelivered for
// up to 30 days) need a larger delay.
const DefaultMaxDeliveryDelay = time.Hour
