CREATE EXTERNAL TABLE IF NOT EXISTS sensor_readings (
  farm_id string COMMENT 'Farm the device is installed on',
  device_id string COMMENT 'Solar-powered sensor node',
  sensor_type string COMMENT 'soil_moisture, temperature, humidity, soil_temperature, leaf_wetness, rainfall, solar_radiation or soil_ph',
  reading double,
  unit string,
  battery_pct double,
  signal_rssi int COMMENT 'Satellite uplink signal strength, dBm',
  ts timestamp
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://athena-wlm-sample/iot/sensor_readings/';
