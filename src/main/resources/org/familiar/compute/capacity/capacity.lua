-- One backend's capacity, shared by every replica: the rules of CapacityScheduler (floors first,
-- then start-time fair queueing on slot-time by class and, inside a class, by person; headroom;
-- bounded queues), run atomically inside Redis on one key that holds the whole state as JSON.
--
-- Every ticket, waiting or running, is a lease that its replica renews; one that runs out is
-- released, so a dead replica's slots and places come back. Time is the caller's clock (ms), kept
-- relative to the state's origin so that sums of times stay exact in JSON.
--
-- KEYS[1]  the backend's state
-- ARGV[1]  op: request | release | renew | load
-- ARGV[2]  now (ms since the epoch, the caller's clock)
-- ARGV[3]  lease (ms)
-- ARGV[4]  slots
-- ARGV[5]  policies, in a fixed class order: "id share floor maxQueue headroom;..."
-- ARGV[6]  channel on which granted ticket ids are published
-- request: ARGV[7] ticket id, ARGV[8] class, ARGV[9] person
-- release: ARGV[7] ticket id
-- renew:   ARGV[7..] ticket ids this replica holds or waits with
--
-- Replies: request {"granted"|"queued"|"full", retryAfterMs, granted ids...};
-- release {retryAfterMs, granted ids...}; renew {statuses ("g" running, "w" waiting, "x" gone)
-- for ARGV[7..] in order, then granted ids}; load {running, waiting, retryAfterMs, then running
-- and waiting per class in policy order}.

local op = ARGV[1]
local now = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local slots = tonumber(ARGV[4])

local order, policy = {}, {}
for entry in string.gmatch(ARGV[5], '[^;]+') do
	local id, share, floor, maxQueue, headroom = string.match(entry, '(%S+) (%S+) (%S+) (%S+) (%S+)')
	order[#order + 1] = id
	policy[id] = {share = tonumber(share), floor = tonumber(floor), maxQueue = tonumber(maxQueue),
		headroom = tonumber(headroom)}
end

local raw = redis.call('GET', KEYS[1])
local state
if raw then
	state = cjson.decode(raw)
else
	state = {o = now, running = 0, waiting = 0, hold = 1000, seq = 0, classes = {}, tickets = {}}
end
local t = now - state.o

local function retryAfter()
	return math.floor(state.hold * (state.waiting + 1) / slots)
end

local function class(id)
	local c = state.classes[id]
	if not c then
		c = {d = 0, r = 0, s = 0, w = 0, people = {}}
		state.classes[id] = c
	end
	return c
end

-- Slot-time received for the weight: completed plus what running requests have held so far.
local function virtual(account, weight)
	return (account.d + account.r * t - account.s) / weight
end

local function start(account)
	account.r = account.r + 1
	account.s = account.s + t
end

local function stop(account, started)
	account.r = account.r - 1
	account.s = account.s - started
	account.d = account.d + t - started
end

local function classIdle(c)
	return c.r == 0 and c.w == 0
end

local function personIdle(p)
	return p.r == 0 and #p.q == 0
end

-- An account that was idle starts level with the least-served busy competitor.
local function catchUp(account, weight, competitors, weightOf, idle)
	local level
	for key, other in pairs(competitors) do
		if other ~= account and not idle(other) then
			local v = virtual(other, weightOf(key))
			if level == nil or v < level then
				level = v
			end
		end
	end
	local own = virtual(account, weight)
	if level ~= nil and own < level then
		account.d = account.d + (level - own) * weight
	end
end

local function mayStart(c, id)
	return c.r < math.max(1, slots - policy[id].headroom)
end

local function nextClass()
	local pick, mostBelowFloor = nil, 0
	for _, id in ipairs(order) do
		local c = state.classes[id]
		if c and c.w > 0 and mayStart(c, id) then
			local below = policy[id].floor - c.r
			if below > mostBelowFloor then
				pick, mostBelowFloor = id, below
			end
		end
	end
	if pick then
		return pick
	end
	local least
	for _, id in ipairs(order) do
		local c = state.classes[id]
		if c and c.w > 0 and mayStart(c, id) then
			local v = virtual(c, policy[id].share)
			if least == nil or v < least then
				pick, least = id, v
			end
		end
	end
	return pick
end

-- The person with the least slot-time; among equals, the one whose first ticket came first.
local function nextPerson(c)
	local pick, least, first
	for name, p in pairs(c.people) do
		if #p.q > 0 then
			local v = virtual(p, 1)
			local head = state.tickets[p.q[1]].n
			if least == nil or v < least or (v == least and head < first) then
				pick, least, first = name, v, head
			end
		end
	end
	return pick
end

local function dispatch(granted)
	while state.running < slots and state.waiting > 0 do
		local id = nextClass()
		if not id then
			break -- only classes at their headroom wait
		end
		local c = state.classes[id]
		local name = nextPerson(c)
		local p = c.people[name]
		local ticketId = table.remove(p.q, 1)
		local ticket = state.tickets[ticketId]
		c.w = c.w - 1
		state.waiting = state.waiting - 1
		ticket.s = t
		ticket.x = t + lease
		start(p)
		start(c)
		state.running = state.running + 1
		granted[#granted + 1] = ticketId
	end
end

local function finish(ticketId)
	local ticket = state.tickets[ticketId]
	if not ticket then
		return
	end
	state.tickets[ticketId] = nil
	local c = state.classes[ticket.c]
	local p = c.people[ticket.p]
	if ticket.s then
		stop(c, ticket.s)
		stop(p, ticket.s)
		state.running = state.running - 1
		state.hold = 0.9 * state.hold + 0.1 * (t - ticket.s)
	else
		for i, queued in ipairs(p.q) do
			if queued == ticketId then
				table.remove(p.q, i)
				c.w = c.w - 1
				state.waiting = state.waiting - 1
				break
			end
		end
	end
	if personIdle(p) then
		c.people[ticket.p] = nil
	end
end

-- Releases every ticket whose lease ran out: its replica stopped renewing it.
local function sweep()
	local expired = {}
	for ticketId, ticket in pairs(state.tickets) do
		if ticket.x < t then
			expired[#expired + 1] = ticketId
		end
	end
	for _, ticketId in ipairs(expired) do
		finish(ticketId)
	end
end

-- When nothing runs or waits the history is forgotten: everyone starts level (and the key goes).
local function save(granted)
	if state.running == 0 and state.waiting == 0 then
		redis.call('DEL', KEYS[1])
	else
		redis.call('SET', KEYS[1], cjson.encode(state), 'EX', 86400)
	end
	if #granted > 0 then
		redis.call('PUBLISH', ARGV[6], table.concat(granted, ' '))
	end
end

local function shareOf(id)
	return policy[id].share
end

if op == 'load' then
	local reply = {tostring(state.running), tostring(state.waiting), tostring(retryAfter())}
	for _, id in ipairs(order) do
		local c = state.classes[id]
		reply[#reply + 1] = tostring(c and c.r or 0)
		reply[#reply + 1] = tostring(c and c.w or 0)
	end
	return reply
end

local granted = {}
if op ~= 'renew' then
	sweep()
end

if op == 'request' then
	local ticketId, id, name = ARGV[7], ARGV[8], ARGV[9]
	local c = class(id)
	if c.w >= policy[id].maxQueue then
		save(granted)
		return {'full', tostring(retryAfter())}
	end
	if classIdle(c) then
		for _, other in ipairs(order) do
			class(other)
		end
		catchUp(c, policy[id].share, state.classes, shareOf, classIdle)
	end
	local p = c.people[name]
	if not p then
		p = {d = 0, r = 0, s = 0, q = {}}
		catchUp(p, 1, c.people, function() return 1 end, personIdle)
		c.people[name] = p
	end
	state.seq = state.seq + 1
	state.tickets[ticketId] = {c = id, p = name, n = state.seq, x = t + lease}
	p.q[#p.q + 1] = ticketId
	c.w = c.w + 1
	state.waiting = state.waiting + 1
	dispatch(granted)
	save(granted)
	local reply = {state.tickets[ticketId].s and 'granted' or 'queued', tostring(retryAfter())}
	for _, g in ipairs(granted) do
		reply[#reply + 1] = g
	end
	return reply
end

if op == 'release' then
	finish(ARGV[7])
	dispatch(granted)
	save(granted)
	local reply = {tostring(retryAfter())}
	for _, g in ipairs(granted) do
		reply[#reply + 1] = g
	end
	return reply
end

if op == 'renew' then
	for i = 7, #ARGV do
		local ticket = state.tickets[ARGV[i]]
		if ticket then
			ticket.x = t + lease
		end
	end
	sweep()
	dispatch(granted)
	save(granted)
	local reply = {}
	for i = 7, #ARGV do
		local ticket = state.tickets[ARGV[i]]
		reply[#reply + 1] = ticket == nil and 'x' or (ticket.s and 'g' or 'w')
	end
	for _, g in ipairs(granted) do
		reply[#reply + 1] = g
	end
	return reply
end

return redis.error_reply('unknown capacity operation ' .. tostring(op))
